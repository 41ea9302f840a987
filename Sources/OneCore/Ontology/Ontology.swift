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

    public init(
        groupTypes: Set<String> = [], thingTypes: Set<String> = [], reservedThingTypes: Set<String> = [],
        thingStatuses: Set<String> = [], connectionTypes: Set<String> = [], eventTypes: Set<String> = [],
        lifecycleEventTypes: Set<String> = [], knowledgeTypes: Set<String> = []
    ) {
        self.groupTypes = groupTypes
        self.thingTypes = thingTypes
        self.reservedThingTypes = reservedThingTypes
        self.thingStatuses = thingStatuses
        self.connectionTypes = connectionTypes
        self.eventTypes = eventTypes
        self.lifecycleEventTypes = lifecycleEventTypes
        self.knowledgeTypes = knowledgeTypes
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
            knowledgeTypes: knowledgeTypes.union(other.knowledgeTypes)
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
        try check(type, in: creatableThingTypes, field: "type")
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

    /// A type a client may log with `POST /api/events`: in the ontology and not a lifecycle type.
    public func checkCustomEventType(_ type: String) throws(OneError) {
        if lifecycleEventTypes.contains(type) {
            throw OneError.validation("type", "type '\(type)' is written by the server itself and cannot be logged")
        }
        try check(type, in: eventTypes.subtracting(lifecycleEventTypes), field: "type")
    }
}
