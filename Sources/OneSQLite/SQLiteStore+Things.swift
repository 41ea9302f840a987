import GRDB
import OneCore

extension Thing {
    init(row: Row) throws {
        self.init(
            id: row["id"], groupId: row["groupId"], type: row["type"], name: row["name"],
            properties: try JSONValue(column: row["properties"]), status: row["status"], createdBy: row["createdBy"],
            createdAt: row["createdAt"], updatedAt: row["updatedAt"], deletedAt: row["deletedAt"])
    }
}

extension SQLiteStore {
    public func thing(id: String, groupId: String) async throws -> Thing? {
        try read { db in try thing(id: id, groupId: groupId, db) }
    }

    func thing(id: String, groupId: String, _ db: Database) throws -> Thing? {
        try fetchRow(db, "SELECT * FROM things WHERE id = ? AND groupId = ?", [id, groupId]).map(Thing.init(row:))
    }

    public func things(_ query: ThingQuery, page: PageRequest) async throws -> Page<Thing> {
        try read { db in
            var conditions = ["groupId = ?"]
            var arguments: StatementArguments = [query.groupId]
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
            return try fetchPage(
                db, from: "things", where: conditions, arguments, page: page, decode: Thing.init(row:), cursor: \.id)
        }
    }

    public func createThing(_ thing: Thing, event: EventDraft) async throws -> Thing {
        try await write { db in
            try self.admit(thing.groupId, adding: .things, db)
            try db.cachedStatement(
                sql: """
                    INSERT INTO things (id, groupId, type, name, properties, status, createdBy, createdAt, updatedAt, deletedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                thing.id, thing.groupId, thing.type, thing.name, thing.properties.jsonText(), thing.status,
                thing.createdBy, thing.createdAt, thing.updatedAt, thing.deletedAt,
            ])
            _ = try self.append(event, db)
            return thing
        }
    }

    public func updateThing(id: String, groupId: String, _ body: @escaping Update<Thing>) async throws -> Thing {
        try await write { db in
            guard let current = try self.thing(id: id, groupId: groupId, db) else { throw OneError.notFound("thing") }
            try self.admit(groupId, adding: nil, db)
            let (updated, event) = try body(current)
            try db.cachedStatement(
                sql: """
                    UPDATE things SET type = ?, name = ?, properties = ?, status = ?, updatedAt = ?, deletedAt = ?
                    WHERE id = ? AND groupId = ?
                    """
            ).execute(arguments: [
                updated.type, updated.name, updated.properties.jsonText(), updated.status, updated.updatedAt,
                updated.deletedAt, id, groupId,
            ])
            _ = try self.append(event, db)
            return updated
        }
    }
}
