import GRDB
import OneCore

extension Knowledge {
    init(row: Row) throws {
        self.init(
            id: row["id"], groupId: row["groupId"], type: row["type"], text: row["text"],
            labels: try stringArray(row["labels"]), metadata: try JSONValue(column: row["metadata"]),
            sourceThingId: row["sourceThingId"], sourceField: row["sourceField"], createdBy: row["createdBy"],
            createdAt: row["createdAt"], updatedAt: row["updatedAt"], deletedAt: row["deletedAt"])
    }
}

extension SQLiteStore {
    public func knowledge(id: String, groupId: String) async throws -> Knowledge? {
        try read { db in try knowledge(id: id, groupId: groupId, db) }
    }

    func knowledge(id: String, groupId: String, _ db: Database) throws -> Knowledge? {
        try fetchRow(db, "SELECT * FROM knowledge WHERE id = ? AND groupId = ?", [id, groupId]).map(Knowledge.init(row:))
    }

    public func knowledge(_ query: KnowledgeQuery, page: PageRequest) async throws -> Page<Knowledge> {
        try read { db in
            var conditions = ["groupId = ?", "deletedAt IS NULL"]
            var arguments: StatementArguments = [query.groupId]
            for (column, value) in [("type", query.type), ("sourceThingId", query.sourceThingId)] {
                guard let value else { continue }
                conditions.append("\(column) = ?")
                _ = arguments.append(contentsOf: [value])
            }
            if let label = query.label {
                conditions.append("EXISTS (SELECT 1 FROM json_each(knowledge.labels) WHERE value = ?)")
                _ = arguments.append(contentsOf: [label])
            }
            return try fetchPage(
                db, from: "knowledge", where: conditions, arguments, page: page, decode: Knowledge.init(row:),
                cursor: \.id)
        }
    }

    public func createKnowledge(_ knowledge: Knowledge, event: EventDraft) async throws -> Knowledge {
        try await write { db in
            try self.admit(knowledge.groupId, adding: .knowledge, db)
            try db.cachedStatement(
                sql: """
                    INSERT INTO knowledge (id, groupId, type, text, labels, metadata, sourceThingId, sourceField,
                        createdBy, createdAt, updatedAt, deletedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                knowledge.id, knowledge.groupId, knowledge.type, knowledge.text, JSONValue(knowledge.labels).jsonText(),
                knowledge.metadata.jsonText(), knowledge.sourceThingId, knowledge.sourceField, knowledge.createdBy,
                knowledge.createdAt, knowledge.updatedAt, knowledge.deletedAt,
            ])
            _ = try self.append(event, db)
            return knowledge
        }
    }

    public func updateKnowledge(id: String, groupId: String, _ body: @escaping Update<Knowledge>) async throws -> Knowledge {
        try await write { db in
            guard let current = try self.knowledge(id: id, groupId: groupId, db) else { throw OneError.notFound("knowledge") }
            try self.admit(groupId, adding: nil, db)
            let (updated, event) = try body(current)
            try db.cachedStatement(
                sql: """
                    UPDATE knowledge SET type = ?, text = ?, labels = ?, metadata = ?, updatedAt = ?, deletedAt = ?
                    WHERE id = ? AND groupId = ?
                    """
            ).execute(arguments: [
                updated.type, updated.text, JSONValue(updated.labels).jsonText(), updated.metadata.jsonText(),
                updated.updatedAt, updated.deletedAt, id, groupId,
            ])
            _ = try self.append(event, db)
            return updated
        }
    }
}
