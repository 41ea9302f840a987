/// What a client sends to connect two things.
public struct NewConnection: Codable, Sendable {
    public var fromId: String?
    public var toId: String?
    public var type: String?
    public var metadata: JSONValue?
    public var strength: Double?
    public var validFrom: Timestamp?
    public var validTo: Timestamp?

    public init(
        fromId: String? = nil, toId: String? = nil, type: String? = nil, metadata: JSONValue? = nil,
        strength: Double? = nil, validFrom: Timestamp? = nil, validTo: Timestamp? = nil
    ) {
        self.fromId = fromId
        self.toId = toId
        self.type = type
        self.metadata = metadata
        self.strength = strength
        self.validFrom = validFrom
        self.validTo = validTo
    }
}

extension OneService {
    /// Connects two records of the scope's group: things, or people where the ontology lets the
    /// connection type end at a person.
    public func createConnection(_ input: NewConnection, in scope: Scope) async throws -> Connection {
        try AccessPolicy.require(scope.principal, .create, .connections)
        let fromId = try Validate.text(input.fromId, field: "fromId")
        let toId = try Validate.text(input.toId, field: "toId")
        let type = try Validate.text(input.type, field: "type", maxLength: 100)
        try ontology.checkConnectionType(type)
        let ends = ontology.ends(of: type)
        let fromKind = try ends.kind(of: fromId, at: ends.from, field: "fromId")
        let toKind = try ends.kind(of: toId, at: ends.to, field: "toId")
        let metadata = try Validate.object(input.metadata, field: "metadata")
        if let strength = input.strength, !(0...1).contains(strength) {
            throw OneError.validation("strength", "strength must be between 0 and 1")
        }
        if let from = input.validFrom, let to = input.validTo, to < from {
            throw OneError.validation("validTo", "validTo must not be before validFrom")
        }
        let now = clock.now()
        let connection = Connection(
            id: ids.make(.connection), groupId: scope.groupId, fromId: fromId, toId: toId, type: type,
            metadata: metadata, strength: input.strength, validFrom: input.validFrom, validTo: input.validTo,
            createdBy: scope.principal.actorId, createdAt: now, updatedAt: now)
        let event = draft(scope, "connection_created", target: connection.id, change: .created(connection))
        return try await write { transaction in
            let chain = try await TenantTree.writableChain(scope.groupId, for: scope.principal, transaction)
            try await TenantTree.admit(.one(.connections), into: chain, transaction)
            try await Self.requireLiveEnds(
                [("fromId", fromId, fromKind), ("toId", toId, toKind)], in: scope.groupId, transaction)
            try await transaction.insertConnection(connection)
            try await transaction.append(event)
            return connection
        }
    }

    /// Checks that each end is a live record of the group, held so that none is archived or
    /// removed before the transaction commits.
    static func requireLiveEnds(
        _ ends: [(field: String, id: String, kind: ConnectionEnds.Kind)], in groupId: String,
        _ transaction: any StoreTransaction
    ) async throws {
        let thingIds = ends.filter { $0.kind == .thing }.map(\.id)
        let things = thingIds.isEmpty ? [] : try await transaction.thingsForShare(ids: thingIds, groupId: groupId)
        for end in ends {
            let live: Bool = switch end.kind {
            case .thing: things.contains { $0.id == end.id && $0.deletedAt == nil }
            case .person: try await transaction.personForUpdate(id: end.id, groupId: groupId) != nil
            }
            guard live else {
                throw OneError(.notFound, "\(end.field) does not name a \(end.kind.rawValue) in this group", field: end.field)
            }
        }
    }

    /// Ends every live connection of `groupId` with `endId` at either end, each with its event:
    /// what removing a person from a group does to their connections there.
    static func endConnections(
        touching endId: String, in scope: Scope, chain: [GroupNode], at now: Timestamp,
        _ transaction: any StoreTransaction, draft: (Connection, Connection) -> EventDraft
    ) async throws {
        let touching = try await transaction.liveConnectionsForUpdate(touching: endId, groupId: scope.groupId)
        guard !touching.isEmpty else { return }
        for current in touching {
            var ended = current
            ended.deletedAt = now
            ended.updatedAt = now
            try await transaction.updateConnection(ended)
            try await transaction.append(draft(current, ended))
        }
        try await TenantTree.release(UsageCounts(connections: touching.count), from: chain, transaction)
    }

    public func connection(id: String, in scope: Scope) async throws -> Connection {
        try AccessPolicy.require(scope.principal, .read, .connections)
        _ = try IDKind.connection.validate(id, field: "id")
        guard let connection = try await store.connection(id: id, groupId: scope.groupId), connection.deletedAt == nil
        else { throw OneError.notFound("connection") }
        return connection
    }

    public func connections(
        _ query: ConnectionQuery, in scope: Scope, page: PageRequest, includeChildren: Bool = false
    ) async throws -> Page<Connection> {
        try AccessPolicy.require(scope.principal, .read, .connections)
        var query = query
        query.groupId = scope.groupId
        query.subgroupIds = try await subgroupIds(of: scope, include: includeChildren)
        if let type = query.type { try ontology.checkConnectionType(type) }
        for (field, id) in [("fromId", query.fromId), ("toId", query.toId)] {
            if let id, !IDKind.thing.matches(id), !IDKind.person.matches(id) {
                throw OneError(.invalidID, "\(field) must be an ID of the form thg_… or usr_…", field: field)
            }
        }
        return try await store.connections(query, page: page)
    }

    /// Connections leaving (`outgoing`) or entering a thing or a person of the scope's group.
    public func connections(of thingId: String, outgoing: Bool, in scope: Scope, page: PageRequest) async throws -> Page<Connection> {
        try AccessPolicy.require(scope.principal, .read, .connections)
        if IDKind.person.matches(thingId) {
            guard try await store.person(id: thingId, groupId: scope.groupId) != nil else { throw OneError.notFound("person") }
        } else {
            _ = try await existingThing(thingId, in: scope)
        }
        let query = outgoing
            ? ConnectionQuery(groupId: scope.groupId, fromId: thingId)
            : ConnectionQuery(groupId: scope.groupId, toId: thingId)
        return try await store.connections(query, page: page)
    }

    public func deleteConnection(id: String, in scope: Scope) async throws {
        try AccessPolicy.require(scope.principal, .delete, .connections)
        _ = try IDKind.connection.validate(id, field: "id")
        let now = clock.now()
        try await write { transaction in
            guard let current = try await transaction.connectionForUpdate(id: id, groupId: scope.groupId),
                current.deletedAt == nil
            else { throw OneError.notFound("connection") }
            let chain = try await TenantTree.writableChain(scope.groupId, for: scope.principal, transaction)
            var deleted = current
            deleted.deletedAt = now
            deleted.updatedAt = now
            try await transaction.updateConnection(deleted)
            try await TenantTree.release(.one(.connections), from: chain, transaction)
            try await transaction.append(self.draft(scope, "connection_deleted", target: id, change: .between(current, deleted)))
        }
    }
}
