import OneCore
import PostgresNIO

extension Thing {
    init(row: PostgresRow) throws {
        let columns = Columns(row)
        self.init(
            id: try columns("id"), groupId: try columns("group_id"), type: try columns("type"), name: try columns("name"),
            properties: try columns.json("properties"), status: try columns("status"),
            tags: try columns.json("tags").stringDictionary ?? [:], createdBy: try columns("created_by"),
            createdAt: try columns("created_at"), updatedAt: try columns("updated_at"), deletedAt: try columns("deleted_at"))
    }
}

extension PostgresStore {
    static let thingSelect = """
        SELECT id, group_id, type, name, properties::text AS properties, status, tags::text AS tags, created_by,
               created_at, updated_at, deleted_at FROM things
        """

    public func thing(id: String, groupId: String) async throws -> Thing? {
        var found: Thing?
        for try await thing in try await client.execute(Prepared.ThingByID(id: id, groupId: groupId), logger: logger) { found = thing }
        return found
    }

    /// Lists things; `text` is a case-insensitive substring match served by the trigram index.
    public func things(_ query: ThingQuery, page: PageRequest) async throws -> Page<Thing> {
        var conditions = Conditions()
        conditions.addGroup(query.groupId, query.subgroupIds)
        if let type = query.type { conditions.add("type", type) }
        if let status = query.status { conditions.add("status", status) } else { conditions.add("deleted_at IS NULL") }
        if let pattern = query.containsPattern { conditions.add("name ILIKE", pattern) }
        for tag in query.tags {
            if let value = tag.value {
                let pair = conditions.bind(JSONValue([tag.key: value]).jsonText())
                conditions.add("tags @> \(pair)::jsonb")
            } else {
                let key = conditions.bind(tag.key)
                conditions.add("tags ? \(key)")
            }
        }
        return try await fetchPage(Self.thingSelect, where: conditions, page: page, decode: Thing.init(row:), cursor: \.id)
    }
}

extension PostgresStore {
    public func liveThings(ids: [String], groupId: String) async throws -> [Thing] {
        try await fetchAll(
            PostgresQuery(
                unsafeSQL: Self.thingSelect + " WHERE group_id = $1 AND id = ANY($2) AND deleted_at IS NULL ORDER BY id",
                binds: binds(groupId, ids)),
            Thing.init(row:))
    }
}

extension PostgresTransaction {
    func thingForUpdate(id: String, groupId: String) async throws -> Thing? {
        try await fetchOne(
            PostgresQuery(unsafeSQL: PostgresStore.thingSelect + PostgresStore.lockedInGroup, binds: binds(id, groupId)), Thing.init(row:))
    }

    func thingsForShare(ids: [String], groupId: String) async throws -> [Thing] {
        try await fetchAll(
            PostgresQuery(
                unsafeSQL: PostgresStore.thingSelect + " WHERE group_id = $1 AND id = ANY($2) ORDER BY id FOR SHARE",
                binds: binds(groupId, ids)),
            Thing.init(row:))
    }

    func insertThing(_ thing: Thing) async throws {
        _ = try await execute(Prepared.InsertThing(thing: thing))
    }

    func insertThings(_ things: [Thing]) async throws {
        guard things.count > 1 else {
            if let thing = things.first { try await insertThing(thing) }
            return
        }
        _ = try await execute(Prepared.InsertThings(things: things))
    }

    func updateThing(_ thing: Thing) async throws {
        try await query(
            """
            UPDATE things SET type = \(thing.type), name = \(thing.name), properties = \(thing.properties.jsonText())::jsonb,
                status = \(thing.status), tags = \(JSONValue(thing.tags).jsonText())::jsonb, updated_at = \(thing.updatedAt), deleted_at = \(thing.deletedAt)
            WHERE id = \(thing.id) AND group_id = \(thing.groupId)
            """)
    }
}
