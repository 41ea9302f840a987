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
    public func createConnection(_ input: NewConnection, in scope: Scope) async throws -> Connection {
        try AccessPolicy.require(scope.principal, .create, .connections)
        let fromId = try IDKind.thing.validate(try Validate.text(input.fromId, field: "fromId"), field: "fromId")
        let toId = try IDKind.thing.validate(try Validate.text(input.toId, field: "toId"), field: "toId")
        let type = try Validate.text(input.type, field: "type", maxLength: 100)
        try ontology.checkConnectionType(type)
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
            // Both ends must be live things of the group, held so neither is archived before this commits.
            let ends = try await transaction.thingsForShare(ids: [fromId, toId], groupId: scope.groupId)
            for (field, id) in [("fromId", fromId), ("toId", toId)] {
                guard ends.contains(where: { $0.id == id && $0.deletedAt == nil }) else {
                    throw OneError(.notFound, "\(field) does not name a thing in this group", field: field)
                }
            }
            try await transaction.insertConnection(connection)
            try await transaction.append(event)
            return connection
        }
    }

    public func connection(id: String, in scope: Scope) async throws -> Connection {
        try AccessPolicy.require(scope.principal, .read, .connections)
        _ = try IDKind.connection.validate(id, field: "id")
        guard let connection = try await store.connection(id: id, groupId: scope.groupId), connection.deletedAt == nil
        else { throw OneError.notFound("connection") }
        return connection
    }

    public func connections(_ query: ConnectionQuery, in scope: Scope, page: PageRequest) async throws -> Page<Connection> {
        try AccessPolicy.require(scope.principal, .read, .connections)
        var query = query
        query.groupId = scope.groupId
        if let type = query.type { try ontology.checkConnectionType(type) }
        _ = try Validate.optionalID(query.fromId, .thing, field: "fromId")
        _ = try Validate.optionalID(query.toId, .thing, field: "toId")
        return try await store.connections(query, page: page)
    }

    /// Connections leaving (`outgoing`) or entering a thing, which must exist in the scope.
    public func connections(of thingId: String, outgoing: Bool, in scope: Scope, page: PageRequest) async throws -> Page<Connection> {
        try AccessPolicy.require(scope.principal, .read, .connections)
        _ = try await existingThing(thingId, in: scope)
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
