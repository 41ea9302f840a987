/// One entry of the append-only audit trail. Every mutation writes one in the same transaction.
public struct Event: Codable, Sendable, Equatable {
    public var id: String
    public var groupId: String
    /// Position in the store's change log: strictly increasing in commit order.
    public var sequence: Int64
    public var type: String
    public var actorId: String?
    public var targetId: String?
    public var timestamp: Timestamp
    public var metadata: JSONValue
    /// What the mutation changed: `before` and `after` hold the changed fields.
    public var change: Change?

    enum CodingKeys: String, CodingKey {
        case id = "_id"
        case groupId, sequence, type, actorId, targetId, timestamp, metadata, change
    }

    public init(
        id: String, groupId: String, sequence: Int64, type: String, actorId: String?, targetId: String?,
        timestamp: Timestamp, metadata: JSONValue = [:], change: Change? = nil
    ) {
        self.id = id
        self.groupId = groupId
        self.sequence = sequence
        self.type = type
        self.actorId = actorId
        self.targetId = targetId
        self.timestamp = timestamp
        self.metadata = metadata
        self.change = change
    }
}

/// The fields a mutation changed, before and after.
public struct Change: Codable, Sendable, Equatable {
    public var before: JSONValue?
    public var after: JSONValue?

    public init(before: JSONValue? = nil, after: JSONValue? = nil) {
        self.before = before
        self.after = after
    }

    /// The change from `old` to `new`, keeping only the top-level fields that differ.
    public static func between<T: JSONRepresentable>(_ old: T, _ new: T) -> Change {
        let before = old.json.objectValue ?? [:]
        let after = new.json.objectValue ?? [:]
        var changedBefore: [String: JSONValue] = [:]
        var changedAfter: [String: JSONValue] = [:]
        for key in Set(before.keys).union(after.keys) where before[key] != after[key] && key != "updatedAt" {
            changedBefore[key] = before[key] ?? .null
            changedAfter[key] = after[key] ?? .null
        }
        return Change(before: .object(changedBefore), after: .object(changedAfter))
    }

    /// A creation: everything is new.
    public static func created<T: JSONRepresentable>(_ value: T) -> Change {
        Change(after: value.json)
    }
}

/// An event as the domain asks for it; the store gives it its ID, sequence and time.
///
/// Its JSON columns are encoded when it is made, which is before the write that appends it in
/// most operations: the store's single writer then only binds text.
public struct EventDraft: Sendable, Equatable {
    public let groupId: String
    public let type: String
    public let actorId: String?
    public let targetId: String?
    public let metadata: JSONValue
    public let change: Change?
    /// `metadata` as stored JSON text.
    public let metadataText: String
    /// `change` as stored JSON text.
    public let changeText: String?

    public init(
        groupId: String, type: String, actorId: String?, targetId: String?, metadata: JSONValue = [:],
        change: Change? = nil
    ) {
        self.groupId = groupId
        self.type = type
        self.actorId = actorId
        self.targetId = targetId
        self.metadata = metadata
        self.change = change
        self.metadataText = metadata.jsonText()
        self.changeText = change.map { $0.json.jsonText() }
    }
}

extension EventDraft {
    /// The `api_key_revoked` event for a key revoked as a consequence of this event.
    public func revoking(_ keyId: String) -> EventDraft {
        EventDraft(
            groupId: groupId, type: "api_key_revoked", actorId: actorId, targetId: keyId,
            metadata: ["reason": .string(type)])
    }
}
