/// What a client sends to log a custom event.
public struct NewEvent: Codable, Sendable {
    public var type: String?
    public var targetId: String?
    public var metadata: JSONValue?

    public init(type: String? = nil, targetId: String? = nil, metadata: JSONValue? = nil) {
        self.type = type
        self.targetId = targetId
        self.metadata = metadata
    }
}

extension OneService {
    /// Logs a custom event. Lifecycle types stay the server's own, so the audit trail cannot be forged.
    public func logEvent(_ input: NewEvent, in scope: Scope) async throws -> Event {
        try AccessPolicy.require(scope.principal, .create, .events)
        guard !isAtomic else {
            throw OneError.validation("path", "an event is logged alone or in a batch that is not atomic: its sequence is set at commit")
        }
        let named = try Validate.text(input.type, field: "type", maxLength: 100)
        let type = try ontology.checkCustomEventType(named)
        var metadata = try Validate.object(input.metadata, field: "metadata")
        if type != named, var members = metadata.objectValue, members["variant"] == nil {
            members["variant"] = .string(named)
            metadata = .object(members)
        }
        if let targetId = input.targetId { try await requireRecord(targetId, in: scope, field: "targetId") }
        let event = draft(scope, type, target: input.targetId, metadata: metadata)
        let committed = try await commit { transaction in
            _ = try await TenantTree.writableChain(scope.groupId, for: scope.principal, transaction)
            try await transaction.append(event)
        }
        guard let logged = committed.events.first else { throw OneError(.internal, "the event was not appended") }
        return logged
    }

    public func event(id: String, in scope: Scope) async throws -> Event {
        try AccessPolicy.require(scope.principal, .read, .events)
        _ = try IDKind.event.validate(id, field: "id")
        guard let event = try await store.event(id: id, groupId: scope.groupId) else { throw OneError.notFound("event") }
        return event
    }

    public func events(
        _ query: EventQuery, in scope: Scope, page: PageRequest, includeChildren: Bool = false
    ) async throws -> Page<Event> {
        try AccessPolicy.require(scope.principal, .read, .events)
        var query = query
        query.groupId = scope.groupId
        query.subgroupIds = try await subgroupIds(of: scope, include: includeChildren)
        if let type = query.type { query.type = try ontology.checkEventFilter(type) }
        for (field, id) in [("actorId", query.actorId), ("targetId", query.targetId)] {
            if let id, IDKind.of(id) == nil {
                throw OneError(.invalidID, "\(field) must be an ID such as usr_… or thg_…", field: field)
            }
        }
        if let since = query.since, let until = query.until, until < since {
            throw OneError.validation("until", "until must not be before since")
        }
        return try await store.events(query, page: page)
    }

    /// Checks that `id` names a record the scope holds (a member, for people; a reachable group,
    /// for groups), answering 404 alike for missing records and other tenants' records.
    func requireRecord(_ id: String, in scope: Scope, field: String) async throws {
        guard let kind = IDKind.of(id) else {
            throw OneError(.invalidID, "\(field) must be an ID such as thg_… or usr_…", field: field)
        }
        let group = scope.groupId
        let found: Bool = switch kind {
        case .thing: try await store.thing(id: id, groupId: group) != nil
        case .connection: try await store.connection(id: id, groupId: group) != nil
        case .knowledge: try await store.knowledge(id: id, groupId: group) != nil
        case .person: try await store.person(id: id, groupId: group) != nil
        case .event: try await store.event(id: id, groupId: group) != nil
        case .apiKey: try await store.apiKey(id: id, groupId: group) != nil
        case .group: try await canReach(scope.principal, groupId: id)
        case .membership, .identity, .session, .mail: false
        }
        guard found else { throw OneError(.notFound, "\(field) does not name a record in this group", field: field) }
    }
}
