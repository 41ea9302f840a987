/// The vocabularies every record is checked against: which types of group, thing, connection,
/// event and knowledge exist, and which thing statuses. Loaded from YAML at start (the shipped
/// base plus any operator files), never hard-coded in the operations.
public struct Ontology: Sendable, Equatable {
    public var groupTypes: Set<String>
    public var thingTypes: Set<String>
    /// Thing types that hold credentials; clients may never create them.
    public var reservedThingTypes: Set<String>
    public var thingStatuses: Set<String>
    public var connectionTypes: Set<String>
    public var eventTypes: Set<String>
    /// Event types only the server writes (the audit trail of mutations); clients may not log them.
    public var lifecycleEventTypes: Set<String>
    public var knowledgeTypes: Set<String>
    /// The records each connection type may join; types not listed join two things.
    public var connectionEnds: [String: ConnectionEnds]
    /// Seed event names logged under a consolidated type (`content_changed` → `content_event`).
    public var eventAliases: [String: String]

    public init(
        groupTypes: Set<String> = [], thingTypes: Set<String> = [], reservedThingTypes: Set<String> = [],
        thingStatuses: Set<String> = [], connectionTypes: Set<String> = [], eventTypes: Set<String> = [],
        lifecycleEventTypes: Set<String> = [], knowledgeTypes: Set<String> = [],
        connectionEnds: [String: ConnectionEnds] = [:], eventAliases: [String: String] = [:]
    ) {
        self.groupTypes = groupTypes
        self.thingTypes = thingTypes
        self.reservedThingTypes = reservedThingTypes
        self.thingStatuses = thingStatuses
        self.connectionTypes = connectionTypes
        self.eventTypes = eventTypes
        self.lifecycleEventTypes = lifecycleEventTypes
        self.knowledgeTypes = knowledgeTypes
        self.connectionEnds = connectionEnds
        self.eventAliases = eventAliases
    }

    /// This ontology extended by another: every vocabulary is the union of both.
    public func merging(_ other: Ontology) -> Ontology {
        Ontology(
            groupTypes: groupTypes.union(other.groupTypes),
            thingTypes: thingTypes.union(other.thingTypes),
            reservedThingTypes: reservedThingTypes.union(other.reservedThingTypes),
            thingStatuses: thingStatuses.union(other.thingStatuses),
            connectionTypes: connectionTypes.union(other.connectionTypes),
            eventTypes: eventTypes.union(other.eventTypes),
            lifecycleEventTypes: lifecycleEventTypes.union(other.lifecycleEventTypes),
            knowledgeTypes: knowledgeTypes.union(other.knowledgeTypes),
            connectionEnds: connectionEnds.merging(other.connectionEnds) { $0.union($1) },
            eventAliases: eventAliases.merging(other.eventAliases) { _, added in added }
        )
    }

    /// Thing types a client may create: all but the reserved ones.
    public var creatableThingTypes: Set<String> { thingTypes.subtracting(reservedThingTypes) }

    func check(_ value: String, in vocabulary: Set<String>, field: String) throws(OneError) {
        guard vocabulary.contains(value) else {
            let allowed = vocabulary.sorted().joined(separator: ", ")
            throw OneError.validation(field, "\(field) '\(value)' is not in the ontology; allowed: \(allowed)")
        }
    }

    public func checkThingType(_ type: String) throws(OneError) {
        if reservedThingTypes.contains(type) {
            throw OneError.validation("type", "type '\(type)' is reserved for authentication and cannot be created")
        }
        // Reserved types were refused above, so the vocabulary itself is the creatable set
        // (checked without building the difference on every call).
        if !thingTypes.contains(type) { try check(type, in: creatableThingTypes, field: "type") }
    }

    public func checkThingStatus(_ status: String) throws(OneError) {
        try check(status, in: thingStatuses, field: "status")
    }

    public func checkGroupType(_ type: String) throws(OneError) { try check(type, in: groupTypes, field: "type") }
    public func checkConnectionType(_ type: String) throws(OneError) {
        try check(type, in: connectionTypes, field: "type")
    }
    public func checkKnowledgeType(_ type: String) throws(OneError) {
        try check(type, in: knowledgeTypes, field: "type")
    }

    /// The kinds of record `type` may join at each end.
    public func ends(of type: String) -> ConnectionEnds {
        connectionEnds[type] ?? .things
    }

    /// A type a client may log with `POST /api/events`: in the ontology and not a lifecycle type.
    /// Returns the type to store: the consolidated one for an alias.
    @discardableResult
    public func checkCustomEventType(_ type: String) throws(OneError) -> String {
        let canonical = eventAliases[type] ?? type
        if lifecycleEventTypes.contains(canonical) {
            throw OneError.validation("type", "type '\(type)' is written by the server itself and cannot be logged")
        }
        try check(canonical, in: eventTypes.subtracting(lifecycleEventTypes), field: "type")
        return canonical
    }

    /// An event type to filter by: the consolidated one for an alias.
    public func checkEventFilter(_ type: String) throws(OneError) -> String {
        let canonical = eventAliases[type] ?? type
        try check(canonical, in: eventTypes, field: "type")
        return canonical
    }
}

/// Which kinds of record a connection type may have at its `from` and `to` ends.
public struct ConnectionEnds: Sendable, Equatable, Decodable {
    /// A kind of record a connection can join.
    public enum Kind: String, Sendable, Decodable, CaseIterable {
        case thing
        case person

        /// The ID kind of records of this kind.
        var idKind: IDKind { self == .thing ? .thing : .person }
    }

    public var from: Set<Kind>
    public var to: Set<Kind>

    public init(from: Set<Kind>, to: Set<Kind>) {
        self.from = from
        self.to = to
    }

    /// Two things: every type's ends unless the ontology says otherwise.
    public static let things = ConnectionEnds(from: [.thing], to: [.thing])

    func union(_ other: ConnectionEnds) -> ConnectionEnds {
        ConnectionEnds(from: from.union(other.from), to: to.union(other.to))
    }

    /// The kind of the record `id` names at one end, when it is allowed there.
    func kind(of id: String, at end: Set<Kind>, field: String) throws(OneError) -> Kind {
        let allowed = end.sorted { $0.rawValue < $1.rawValue }
        guard let kind = allowed.first(where: { $0.idKind.matches(id) }) else {
            let forms = allowed.map { "\($0.idKind.rawValue)_… (\($0.rawValue))" }.joined(separator: " or ")
            throw OneError(.invalidID, "\(field) must be an ID of the form \(forms) for this connection type", field: field)
        }
        return kind
    }
}
