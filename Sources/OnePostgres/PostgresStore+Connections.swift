import OneCore
import PostgresNIO

extension Connection {
    init(row: PostgresRow) throws {
        let columns = Columns(row)
        self.init(
            id: try columns("id"), groupId: try columns("group_id"), fromId: try columns("from_id"), toId: try columns("to_id"),
            type: try columns("type"), metadata: try columns.json("metadata"), strength: try columns("strength"),
            validFrom: try columns("valid_from"), validTo: try columns("valid_to"), createdBy: try columns("created_by"),
            createdAt: try columns("created_at"), updatedAt: try columns("updated_at"), deletedAt: try columns("deleted_at"))
    }
}

extension PostgresStore {
    static let connectionSelect = """
        SELECT id, group_id, from_id, to_id, type, metadata::text AS metadata, strength, valid_from, valid_to, created_by,
               created_at, updated_at, deleted_at FROM connections
        """

    public func connection(id: String, groupId: String) async throws -> Connection? {
        try await fetchOne(
            PostgresQuery(unsafeSQL: Self.connectionSelect + " WHERE id = $1 AND group_id = $2", binds: binds(id, groupId)),
            Connection.init(row:))
    }

    public func connections(_ query: ConnectionQuery, page: PageRequest) async throws -> Page<Connection> {
        var conditions = Conditions()
        conditions.add("group_id", query.groupId)
        conditions.add("deleted_at IS NULL")
        if let fromId = query.fromId { conditions.add("from_id", fromId) }
        if let toId = query.toId { conditions.add("to_id", toId) }
        if let type = query.type { conditions.add("type", type) }
        if let touching = query.touching {
            let placeholder = conditions.bind(touching)
            conditions.add("(from_id = \(placeholder) OR to_id = \(placeholder))")
        }
        return try await fetchPage(Self.connectionSelect, where: conditions, page: page, decode: Connection.init(row:), cursor: \.id)
    }

    public func createConnection(_ connection: Connection, event: EventDraft) async throws -> Connection {
        try await write { db, log in
            try await self.admit(connection.groupId, adding: .connections, db)
            // Hold both ends, so neither can be archived before this commits.
            try await db.query("SELECT 1 FROM things WHERE id IN (\(connection.fromId), \(connection.toId)) FOR SHARE", logger: self.logger)
            for (field, id) in [("fromId", connection.fromId), ("toId", connection.toId)] {
                guard let end = try await self.thing(id: id, groupId: connection.groupId, on: db), end.deletedAt == nil else {
                    throw OneError(.notFound, "\(field) does not name a thing in this group", field: field)
                }
            }
            try await db.query(
                """
                INSERT INTO connections (id, group_id, from_id, to_id, type, metadata, strength, valid_from, valid_to,
                    created_by, created_at, updated_at, deleted_at)
                VALUES (\(connection.id), \(connection.groupId), \(connection.fromId), \(connection.toId), \(connection.type),
                        \(connection.metadata.jsonText())::jsonb, \(connection.strength), \(connection.validFrom),
                        \(connection.validTo), \(connection.createdBy), \(connection.createdAt), \(connection.updatedAt),
                        \(connection.deletedAt))
                """, logger: self.logger)
            log.stage(event)
            return connection
        }
    }

    public func updateConnection(id: String, groupId: String, _ body: @escaping Update<Connection>) async throws -> Connection {
        try await write { db, log in
            guard let current = try await self.fetchOne(
                PostgresQuery(unsafeSQL: Self.connectionSelect + Self.lockedInGroup, binds: binds(id, groupId)), on: db, Connection.init(row:))
            else { throw OneError.notFound("connection") }
            try await self.admit(groupId, adding: nil, db)
            let (updated, event) = try body(current)
            try await db.query(
                """
                UPDATE connections SET type = \(updated.type), metadata = \(updated.metadata.jsonText())::jsonb,
                    strength = \(updated.strength), valid_from = \(updated.validFrom), valid_to = \(updated.validTo),
                    updated_at = \(updated.updatedAt), deleted_at = \(updated.deletedAt)
                WHERE id = \(id) AND group_id = \(groupId)
                """, logger: self.logger)
            log.stage(event)
            return updated
        }
    }
}
