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
        conditions.addGroup(query.groupId, query.subgroupIds)
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
}

extension PostgresStore {
    public func adjacentConnections(
        of ids: [String], outgoing: Bool, incoming: Bool, types: [String], groupId: String, limit: Int
    ) async throws -> [Connection] {
        let typeFilter = types.isEmpty ? "" : " AND type = ANY($3)"
        let selects = [("from_id", outgoing), ("to_id", incoming)].filter(\.1).map { column, _ in
            Self.connectionSelect + " WHERE group_id = $1 AND \(column) = ANY($2) AND deleted_at IS NULL" + typeFilter
        }
        guard !selects.isEmpty else { return [] }
        var bindings = binds(groupId, ids)
        if !types.isEmpty { bindings.append(types) }
        bindings.append(limit)
        return try await fetchAll(
            PostgresQuery(unsafeSQL: selects.joined(separator: " UNION ") + " ORDER BY id LIMIT $\(bindings.count)", binds: bindings),
            Connection.init(row:))
    }
}

extension PostgresTransaction {
    func connectionForUpdate(id: String, groupId: String) async throws -> Connection? {
        try await fetchOne(
            PostgresQuery(unsafeSQL: PostgresStore.connectionSelect + PostgresStore.lockedInGroup, binds: binds(id, groupId)),
            Connection.init(row:))
    }

    func liveConnectionsForUpdate(touching endId: String, groupId: String) async throws -> [Connection] {
        try await fetchAll(
            PostgresQuery(
                unsafeSQL: PostgresStore.connectionSelect + """
                     WHERE group_id = $1 AND (from_id = $2 OR to_id = $2) AND deleted_at IS NULL ORDER BY id FOR UPDATE
                    """,
                binds: binds(groupId, endId)),
            Connection.init(row:))
    }

    func insertConnection(_ connection: Connection) async throws {
        try await query(
            """
            INSERT INTO connections (id, group_id, from_id, to_id, type, metadata, strength, valid_from, valid_to,
                created_by, created_at, updated_at, deleted_at)
            VALUES (\(connection.id), \(connection.groupId), \(connection.fromId), \(connection.toId), \(connection.type),
                    \(connection.metadata.jsonText())::jsonb, \(connection.strength), \(connection.validFrom),
                    \(connection.validTo), \(connection.createdBy), \(connection.createdAt), \(connection.updatedAt),
                    \(connection.deletedAt))
            """)
    }

    func updateConnection(_ connection: Connection) async throws {
        try await query(
            """
            UPDATE connections SET type = \(connection.type), metadata = \(connection.metadata.jsonText())::jsonb,
                strength = \(connection.strength), valid_from = \(connection.validFrom), valid_to = \(connection.validTo),
                updated_at = \(connection.updatedAt), deleted_at = \(connection.deletedAt)
            WHERE id = \(connection.id) AND group_id = \(connection.groupId)
            """)
    }
}
