import GRDB
import OneCore

extension Group {
    init(row: Row) throws {
        let settingsText: String = row["settings"]
        self.init(
            id: row["id"], slug: row["slug"], name: row["name"], type: row["type"], parentGroupId: row["parentGroupId"],
            description: row["description"], metadata: try JSONValue(column: row["metadata"]),
            settings: try GroupSettings(json: JSONValue(jsonText: settingsText)),
            status: Group.Status(rawValue: row["status"]) ?? .active, createdAt: row["createdAt"], updatedAt: row["updatedAt"])
    }
}

extension SQLiteStore {
    public func group(id: String) async throws -> Group? {
        try read { db in try fetchRow(db, "SELECT * FROM groups WHERE id = ?", [id]).map(Group.init(row:)) }
    }

    public func groups(parentId: String?, among ids: [String]?, page: PageRequest) async throws -> Page<Group> {
        try read { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let parentId {
                conditions.append("parentGroupId = ?")
                _ = arguments.append(contentsOf: [parentId])
            }
            if let ids {
                conditions.append("id IN (SELECT value FROM json_each(?))")
                _ = arguments.append(contentsOf: [JSONValue.array(ids.map(JSONValue.string)).jsonText()])
            }
            return try fetchPage(
                db, from: "groups", where: conditions, arguments, ascending: true, page: page,
                decode: Group.init(row:), cursor: \.id)
        }
    }

    public func ancestorIds(of id: String) async throws -> [String] {
        try read { db in try ancestorIds(of: id, db) }
    }

    func ancestorIds(of id: String, _ db: Database) throws -> [String] {
        try String.fetchAll(
            db.cachedStatement(
                sql: """
                    WITH RECURSIVE chain(id, depth) AS (
                        SELECT parentGroupId, 1 FROM groups WHERE id = ? AND parentGroupId IS NOT NULL
                        UNION ALL
                        SELECT g.parentGroupId, chain.depth + 1 FROM groups g JOIN chain ON g.id = chain.id
                        WHERE g.parentGroupId IS NOT NULL AND chain.depth < 1000
                    )
                    SELECT id FROM chain ORDER BY depth
                    """), arguments: [id])
    }

    public func descendantIds(of id: String) async throws -> [String] {
        try read { db in
            try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        WITH RECURSIVE below(id) AS (
                            SELECT id FROM groups WHERE parentGroupId = ?
                            UNION
                            SELECT g.id FROM groups g JOIN below ON g.parentGroupId = below.id
                        )
                        SELECT id FROM below ORDER BY id
                        """), arguments: [id])
        }
    }

    public func createGroup(_ group: Group, event: EventDraft) async throws -> Group {
        try await write { db in
            if let parentId = group.parentGroupId { try self.admit(parentId, adding: nil, db) }
            try self.insert(group, db)
            _ = try self.append(event, db)
            return group
        }
    }

    public func updateGroup(id: String, _ body: @escaping Update<Group>) async throws -> Group {
        try await write { db in
            guard let current = try self.fetchRow(db, "SELECT * FROM groups WHERE id = ?", [id]).map(Group.init(row:)) else {
                throw OneError.notFound("group")
            }
            let (updated, event) = try body(current)
            if let parentId = updated.parentGroupId, parentId != current.parentGroupId {
                guard try self.fetchRow(db, "SELECT id FROM groups WHERE id = ?", [parentId]) != nil else {
                    throw OneError(.notFound, "parentGroupId does not name a group", field: "parentGroupId")
                }
                if try parentId == id || self.ancestorIds(of: parentId, db).contains(id) {
                    throw OneError.validation("parentGroupId", "parentGroupId would make a cycle: a group cannot sit below itself")
                }
            }
            try db.cachedStatement(
                sql: """
                    UPDATE groups SET slug = ?, name = ?, type = ?, parentGroupId = ?, description = ?, metadata = ?,
                    settings = ?, status = ?, updatedAt = ? WHERE id = ?
                    """
            ).execute(arguments: [
                updated.slug, updated.name, updated.type, updated.parentGroupId, updated.description,
                updated.metadata.jsonText(), updated.settings.json.jsonText(), updated.status.rawValue,
                updated.updatedAt, id,
            ])
            _ = try self.append(event, db)
            return updated
        }
    }

    func insert(_ group: Group, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO groups (id, slug, name, type, parentGroupId, description, metadata, settings, status, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            group.id, group.slug, group.name, group.type, group.parentGroupId, group.description,
            group.metadata.jsonText(), group.settings.json.jsonText(), group.status.rawValue, group.createdAt,
            group.updatedAt,
        ])
    }
}
