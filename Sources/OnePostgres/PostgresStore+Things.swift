import OneCore
import PostgresNIO

extension Thing {
    init(row: PostgresRow) throws {
        let columns = Columns(row)
        self.init(
            id: try columns("id"), groupId: try columns("group_id"), type: try columns("type"), name: try columns("name"),
            properties: try columns.json("properties"), status: try columns("status"), createdBy: try columns("created_by"),
            createdAt: try columns("created_at"), updatedAt: try columns("updated_at"), deletedAt: try columns("deleted_at"))
    }
}

extension PostgresStore {
    static let thingSelect = """
        SELECT id, group_id, type, name, properties::text AS properties, status, created_by, created_at, updated_at,
               deleted_at FROM things
        """

    public func thing(id: String, groupId: String) async throws -> Thing? {
        try await thing(id: id, groupId: groupId, on: nil)
    }

    func thing(id: String, groupId: String, on connection: PostgresConnection?) async throws -> Thing? {
        let statement = Prepared.ThingByID(id: id, groupId: groupId)
        let rows = if let connection {
            try await connection.execute(statement, logger: logger)
        } else {
            try await client.execute(statement, logger: logger)
        }
        var found: Thing?
        for try await thing in rows { found = thing }
        return found
    }

    /// Lists things; `text` is a case-insensitive substring match served by the trigram index.
    public func things(_ query: ThingQuery, page: PageRequest) async throws -> Page<Thing> {
        var conditions = Conditions()
        conditions.add("group_id", query.groupId)
        if let type = query.type { conditions.add("type", type) }
        if let status = query.status { conditions.add("status", status) } else { conditions.add("deleted_at IS NULL") }
        if let pattern = query.containsPattern { conditions.add("name ILIKE", pattern) }
        return try await fetchPage(Self.thingSelect, where: conditions, page: page, decode: Thing.init(row:), cursor: \.id)
    }

    public func createThing(_ thing: Thing, event: EventDraft) async throws -> Thing {
        try await write { connection, log in
            try await self.admit(thing.groupId, adding: .things, connection)
            for try await _ in try await connection.execute(Prepared.InsertThing(thing: thing), logger: self.logger) {}
            log.stage(event)
            return thing
        }
    }

    public func updateThing(id: String, groupId: String, _ body: @escaping Update<Thing>) async throws -> Thing {
        try await write { connection, log in
            guard let current = try await self.fetchOne(
                PostgresQuery(unsafeSQL: Self.thingSelect + Self.lockedInGroup, binds: binds(id, groupId)), on: connection, Thing.init(row:))
            else { throw OneError.notFound("thing") }
            try await self.admit(groupId, adding: nil, connection)
            let (updated, event) = try body(current)
            try await connection.query(
                """
                UPDATE things SET type = \(updated.type), name = \(updated.name), properties = \(updated.properties.jsonText())::jsonb,
                    status = \(updated.status), updated_at = \(updated.updatedAt), deleted_at = \(updated.deletedAt)
                WHERE id = \(id) AND group_id = \(groupId)
                """, logger: self.logger)
            log.stage(event)
            return updated
        }
    }
}
