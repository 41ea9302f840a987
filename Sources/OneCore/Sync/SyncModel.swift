/// The dimensions records can be synced into.
public enum SyncDimension: String, Sendable, CaseIterable {
    case things, people, connections, knowledge
}

/// Another system's name for a record: which system, and its ID there.
public struct SyncKey: Hashable, Sendable {
    public var source: String
    public var externalId: String

    public init(source: String, externalId: String) {
        self.source = source
        self.externalId = externalId
    }

    /// The key of a sync record, checked: both present, short, printable.
    init(_ record: JSONValue, field: String) throws(OneError) {
        guard record.objectValue != nil else {
            throw OneError.validation(field, "\(field) must be a JSON object, not \(record.typeName)")
        }
        let fields = SyncFields(record: record, field: field)
        guard let externalId = try fields.string("externalId"), !externalId.isEmpty, externalId.count <= 200 else {
            throw OneError.validation("\(field).externalId", "\(field).externalId is required: 1 to 200 characters")
        }
        guard let source = try fields.string("source"), !source.isEmpty, source.count <= 100 else {
            throw OneError.validation("\(field).source", "\(field).source is required: 1 to 100 characters")
        }
        self.init(source: source, externalId: externalId)
    }
}

/// Which record of a group an outside ID became.
public struct SyncLink: Sendable, Equatable {
    public var groupId: String
    public var dimension: String
    public var key: SyncKey
    public var recordId: String

    public init(groupId: String, dimension: String, key: SyncKey, recordId: String) {
        self.groupId = groupId
        self.dimension = dimension
        self.key = key
        self.recordId = recordId
    }
}

/// What happened to one synced record.
public struct SyncResult: Sendable {
    public enum Outcome: String, Sendable {
        case created, updated, unchanged, error
    }

    public var externalId: String?
    public var source: String?
    public var id: String?
    public var outcome: Outcome
    public var error: OneError?

    init(key: SyncKey, id: String?, outcome: Outcome) {
        self.externalId = key.externalId
        self.source = key.source
        self.id = id
        self.outcome = outcome
    }

    /// A record whose key could not be read.
    init(record: JSONValue, error: OneError) {
        self.externalId = record.objectValue?["externalId"]?.stringValue
        self.source = record.objectValue?["source"]?.stringValue
        self.outcome = .error
        self.error = error
    }

    mutating func fail(_ error: OneError) {
        outcome = .error
        self.error = error
    }

    mutating func applied(_ plan: SyncPlan, id: String) {
        self.id = id
        outcome = plan.isCreate ? .created : .updated
    }
}

extension SyncResult: JSONRepresentable {
    public var json: JSONValue {
        var object: [String: JSONValue] = ["outcome": .string(outcome.rawValue)]
        object["externalId"] = externalId.map(JSONValue.string) ?? .null
        object["source"] = source.map(JSONValue.string) ?? .null
        object["_id"] = id.map(JSONValue.string)
        if let error {
            var body: [String: JSONValue] = ["error": .string(error.message), "code": .string(error.code.rawValue)]
            body["field"] = error.field.map(JSONValue.string)
            object["error"] = .object(body)
        }
        return .object(object)
    }
}

/// A write one synced record needs, run inside the batch's transaction.
struct SyncPlan: Sendable {
    /// A thing to create, which a batch may create together with others.
    struct NewThingPlan: Sendable {
        let input: NewThing
        let key: SyncKey
        let replacing: Bool
    }

    let isCreate: Bool
    /// Set for a thing to create: ``write`` does the same for it alone.
    var newThing: NewThingPlan? = nil
    /// Writes the record and its link; returns the record's ID.
    let write: @Sendable () async throws -> String
}

/// Typed access to a sync record's fields, naming `records[i].field` in every error.
struct SyncFields: Sendable {
    let record: JSONValue
    let field: String

    private var members: [String: JSONValue] { record.objectValue ?? [:] }

    func has(_ key: String) -> Bool { members[key] != nil && members[key] != .null }

    func string(_ key: String) throws(OneError) -> String? {
        guard let value = members[key], value != .null else { return nil }
        guard let string = value.stringValue else {
            throw OneError.validation("\(field).\(key)", "\(field).\(key) must be a string, not \(value.typeName)")
        }
        return string
    }

    func value(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func number(_ key: String) throws(OneError) -> Double? {
        guard let value = value(key) else { return nil }
        guard let number = value.doubleValue else {
            throw OneError.validation("\(field).\(key)", "\(field).\(key) must be a number, not \(value.typeName)")
        }
        return number
    }

    func strings(_ key: String) throws(OneError) -> [String]? {
        guard let value = value(key) else { return nil }
        guard let strings = value.stringArray else {
            throw OneError.validation("\(field).\(key)", "\(field).\(key) must be an array of strings")
        }
        return strings
    }

    /// Only `allowed` keys (besides `externalId` and `source`) may appear.
    func requireOnly(_ allowed: Set<String>) throws(OneError) {
        let known = allowed.union(["externalId", "source"])
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw OneError.validation(
                "\(field).\(unknown)", "unknown field '\(unknown)'; allowed fields: \(known.sorted().joined(separator: ", "))")
        }
    }

    /// Re-labels a domain error's field as this record's (`name` → `records[3].name`).
    func scoped(_ error: OneError) -> OneError {
        guard let inner = error.field else { return error }
        return OneError(error.code, "\(field): \(error.message)", field: "\(field).\(inner)", retryAfter: error.retryAfter)
    }
}

extension PermissionSet {
    /// Whether a key may sync: keys with every permission, or with `sync` among them.
    var allowsSync: Bool { entries.isEmpty || entries.contains("*") || entries.contains("sync") }
}
