import OneCore
import PostgresNIO

extension Group {
    init(row: PostgresRow) throws {
        let columns = Columns(row)
        self.init(
            id: try columns("id"), slug: try columns("slug"), name: try columns("name"), type: try columns("type"),
            parentGroupId: try columns("parent_group_id"), description: try columns("description"),
            metadata: try columns.json("metadata"), settings: try GroupSettings(json: try columns.json("settings")),
            status: Group.Status(rawValue: try columns("status")) ?? .active, createdAt: try columns("created_at"),
            updatedAt: try columns("updated_at"))
    }
}

extension PostgresStore {
    static let groupSelect = """
        SELECT id, slug, name, type, parent_group_id, description, metadata::text AS metadata,
               settings::text AS settings, status, created_at, updated_at FROM groups
        """

    public func group(id: String) async throws -> Group? {
        try await group(id: id, on: nil)
    }

    func group(id: String, on connection: PostgresConnection?) async throws -> Group? {
        let statement = Prepared.GroupByID(id: id)
        let rows = if let connection {
            try await connection.execute(statement, logger: logger)
        } else {
            try await client.execute(statement, logger: logger)
        }
        var found: Group?
        for try await group in rows { found = group }
        return found
    }

    public func groups(parentId: String?, among ids: [String]?, page: PageRequest) async throws -> Page<Group> {
        var conditions = Conditions()
        if let parentId { conditions.add("parent_group_id", parentId) }
        if let ids { conditions.add("id = ANY(\(conditions.bind(ids)))") }
        return try await fetchPage(Self.groupSelect, where: conditions, ascending: true, page: page, decode: Group.init(row:), cursor: \.id)
    }

    public func ancestorIds(of id: String) async throws -> [String] {
        try await ancestorIds(of: id, on: nil)
    }

    func ancestorIds(of id: String, on connection: PostgresConnection?) async throws -> [String] {
        try await fetchAll(
            """
            WITH RECURSIVE chain(id, depth) AS (
                SELECT parent_group_id, 1 FROM groups WHERE id = \(id) AND parent_group_id IS NOT NULL
                UNION ALL
                SELECT g.parent_group_id, chain.depth + 1 FROM groups g JOIN chain ON g.id = chain.id
                WHERE g.parent_group_id IS NOT NULL AND chain.depth < 1000
            )
            SELECT id FROM chain ORDER BY depth
            """, on: connection) { try $0.decode(String.self) }
    }

    public func descendantIds(of id: String) async throws -> [String] {
        try await fetchAll(
            """
            WITH RECURSIVE below(id) AS (
                SELECT id FROM groups WHERE parent_group_id = \(id)
                UNION
                SELECT g.id FROM groups g JOIN below ON g.parent_group_id = below.id
            )
            SELECT id FROM below ORDER BY id
            """) { try $0.decode(String.self) }
    }

    public func createGroup(_ group: Group, event: EventDraft) async throws -> Group {
        try await write { connection, log in
            if let parentId = group.parentGroupId { try await self.admit(parentId, adding: nil, connection) }
            try await self.insert(group, connection)
            log.stage(event)
            return group
        }
    }

    public func updateGroup(id: String, _ body: @escaping Update<Group>) async throws -> Group {
        try await write { connection, log in
            guard let current = try await self.fetchOne(
                PostgresQuery(unsafeSQL: Self.groupSelect + " WHERE id = $1 FOR UPDATE", binds: binds(id)), on: connection, Group.init(row:))
            else { throw OneError.notFound("group") }
            let (updated, event) = try body(current)
            if let parentId = updated.parentGroupId, parentId != current.parentGroupId {
                // Moves are serialised, so two concurrent moves cannot each pass the cycle check.
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.groupMoveLock))", logger: self.logger)
                guard try await self.group(id: parentId, on: connection) != nil else {
                    throw OneError(.notFound, "parentGroupId does not name a group", field: "parentGroupId")
                }
                let ancestors = try await self.ancestorIds(of: parentId, on: connection)
                if parentId == id || ancestors.contains(id) {
                    throw OneError.validation("parentGroupId", "parentGroupId would make a cycle: a group cannot sit below itself")
                }
            }
            try await connection.query(
                """
                UPDATE groups SET slug = \(updated.slug), name = \(updated.name), type = \(updated.type),
                    parent_group_id = \(updated.parentGroupId), description = \(updated.description),
                    metadata = \(updated.metadata.jsonText())::jsonb, settings = \(updated.settings.json.jsonText())::jsonb,
                    status = \(updated.status.rawValue), updated_at = \(updated.updatedAt)
                WHERE id = \(id)
                """, logger: self.logger)
            log.stage(event)
            return updated
        }
    }

    func insert(_ group: Group, _ connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO groups (id, slug, name, type, parent_group_id, description, metadata, settings, status, created_at, updated_at)
            VALUES (\(group.id), \(group.slug), \(group.name), \(group.type), \(group.parentGroupId), \(group.description),
                    \(group.metadata.jsonText())::jsonb, \(group.settings.json.jsonText())::jsonb, \(group.status.rawValue),
                    \(group.createdAt), \(group.updatedAt))
            """, logger: logger)
    }
}
