import GRDB
import OneCore

extension Thing {
    init(row: Row) throws {
        self.init(
            id: row["id"], groupId: row["groupId"], type: row["type"], name: row["name"],
            properties: try JSONValue(column: row["properties"]), status: row["status"],
            tags: try JSONValue(column: row["tags"]).stringDictionary ?? [:], createdBy: row["createdBy"],
            createdAt: row["createdAt"], updatedAt: row["updatedAt"], deletedAt: row["deletedAt"])
    }
}

extension SQLiteStore {
    public func thing(id: String, groupId: String) async throws -> Thing? {
        try read { db in
            try fetchRow(db, "SELECT * FROM things WHERE id = ? AND groupId = ?", [id, groupId]).map(Thing.init(row:))
        }
    }

    public func things(_ query: ThingQuery, page: PageRequest) async throws -> Page<Thing> {
        try read { db in
            let group = groupCondition(query.groupId, query.subgroupIds)
            var conditions = [group.sql]
            var arguments: StatementArguments = [group.argument]
            if let type = query.type {
                conditions.append("type = ?")
                _ = arguments.append(contentsOf: [type])
            }
            if let status = query.status {
                conditions.append("status = ?")
                _ = arguments.append(contentsOf: [status])
            } else {
                conditions.append("deletedAt IS NULL")
            }
            if let pattern = query.containsPattern {
                conditions.append("name LIKE ? ESCAPE '\\'")
                _ = arguments.append(contentsOf: [pattern])
            }
            for tag in query.tags {
                if let value = tag.value {
                    conditions.append("id IN (SELECT thingId FROM thing_tags WHERE \(group.sql) AND key = ? AND value = ?)")
                    _ = arguments.append(contentsOf: [group.argument, tag.key, value])
                } else {
                    conditions.append("id IN (SELECT thingId FROM thing_tags WHERE \(group.sql) AND key = ?)")
                    _ = arguments.append(contentsOf: [group.argument, tag.key])
                }
            }
            return try fetchPage(
                db, from: "things", where: conditions, arguments, page: page, decode: Thing.init(row:), cursor: \.id)
        }
    }
}

extension SQLiteStore {
    public func liveThings(ids: [String], groupId: String) async throws -> [Thing] {
        try read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT * FROM things WHERE groupId = ? AND id IN (SELECT value FROM json_each(?))
                        AND deletedAt IS NULL ORDER BY id
                    """),
                arguments: [groupId, JSONValue(ids).jsonText()]
            ).map(Thing.init(row:))
        }
    }
}

extension SQLiteTransaction {
    func thingForUpdate(id: String, groupId: String) async throws -> Thing? {
        try fetchOne("SELECT * FROM things WHERE id = ? AND groupId = ?", [id, groupId], Thing.init(row:))
    }

    func thingsForShare(ids: [String], groupId: String) async throws -> [Thing] {
        try run { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM things WHERE groupId = ? AND id IN (SELECT value FROM json_each(?))"),
                arguments: [groupId, JSONValue(ids).jsonText()]
            ).map(Thing.init(row:))
        }
    }

    func insertThing(_ thing: Thing) async throws {
        try await insertThings([thing])
    }

    /// One INSERT for up to a hundred things at a time.
    func insertThings(_ things: [Thing]) async throws {
        try forEachRun(of: things, columns: 11) { run, values in
            try execute(
                "INSERT INTO things (id, groupId, type, name, properties, status, tags, createdBy, createdAt, updatedAt, deletedAt) VALUES "
                    + values
            ) { parameters in
                for thing in run {
                    parameters.bind(thing.id)
                    parameters.bind(thing.groupId)
                    parameters.bind(thing.type)
                    parameters.bind(thing.name)
                    parameters.bind(thing.properties.jsonText())
                    parameters.bind(thing.status)
                    parameters.bind(thing.tags.isEmpty ? "{}" : JSONValue(thing.tags).jsonText())
                    parameters.bind(thing.createdBy)
                    parameters.bind(thing.createdAt)
                    parameters.bind(thing.updatedAt)
                    parameters.bind(thing.deletedAt)
                }
            }
        }
    }

    func updateThing(_ thing: Thing) async throws {
        try execute(
            """
            UPDATE things SET type = ?, name = ?, properties = ?, status = ?, tags = ?, updatedAt = ?, deletedAt = ?
            WHERE id = ? AND groupId = ?
            """,
            [
                thing.type, thing.name, thing.properties.jsonText(), thing.status, JSONValue(thing.tags).jsonText(),
                thing.updatedAt, thing.deletedAt,
                thing.id, thing.groupId,
            ])
    }
}
