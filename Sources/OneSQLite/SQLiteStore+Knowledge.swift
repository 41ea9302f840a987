import Foundation
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
    /// The columns a ``Knowledge`` is read from: all but the embedding, which only the search
    /// indexes read, and which would otherwise be read from disk and copied for every record.
    static let knowledgeColumns =
        "id, groupId, type, text, labels, metadata, sourceThingId, sourceField, createdBy, createdAt, updatedAt, deletedAt"

    public func knowledge(id: String, groupId: String) async throws -> Knowledge? {
        try read { db in
            try fetchRow(db, "SELECT \(Self.knowledgeColumns) FROM knowledge WHERE id = ? AND groupId = ?", [id, groupId])
                .map(Knowledge.init(row:))
        }
    }

    public func knowledge(_ query: KnowledgeQuery, page: PageRequest) async throws -> Page<Knowledge> {
        try read { db in
            let group = groupCondition(query.groupId, query.subgroupIds)
            var conditions = [group.sql, "deletedAt IS NULL"]
            var arguments: StatementArguments = [group.argument]
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
                db, from: "knowledge", where: conditions, arguments, columns: Self.knowledgeColumns, page: page,
                decode: Knowledge.init(row:), cursor: \.id)
        }
    }
}

extension SQLiteTransaction {
    func knowledgeForUpdate(id: String, groupId: String) async throws -> Knowledge? {
        try fetchOne(
            "SELECT \(SQLiteStore.knowledgeColumns) FROM knowledge WHERE id = ? AND groupId = ?", [id, groupId], Knowledge.init(row:))
    }

    func insertKnowledge(_ knowledge: Knowledge) async throws {
        try execute(
            """
            INSERT INTO knowledge (id, groupId, type, text, labels, metadata, sourceThingId, sourceField,
                createdBy, createdAt, updatedAt, deletedAt, embedding, embeddingModel)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                knowledge.id, knowledge.groupId, knowledge.type, knowledge.text, JSONValue(knowledge.labels).jsonText(),
                knowledge.metadata.jsonText(), knowledge.sourceThingId, knowledge.sourceField, knowledge.createdBy,
                knowledge.createdAt, knowledge.updatedAt, knowledge.deletedAt,
                knowledge.embedding.map { Data($0.bytes) }, knowledge.embedding?.model,
            ])
    }

    func updateEmbeddings(
        _ vectors: [(knowledgeId: String, vector: [Float])], model: String, groupId: String, updatedAt: Timestamp
    ) async throws -> Set<String> {
        try run { db in
            let update = try db.cachedStatement(
                sql: """
                    UPDATE knowledge SET embedding = ?, embeddingModel = ?, updatedAt = ?
                    WHERE id = ? AND groupId = ? AND deletedAt IS NULL AND embeddingModel IS NOT ?
                    """)
            var updated: Set<String> = []
            for (id, vector) in vectors {
                try update.execute(arguments: [Data(Embedding(model: model, vector: vector).bytes), model, updatedAt, id, groupId, model])
                if db.changesCount > 0 { updated.insert(id) }
            }
            return updated
        }
    }

    func updateKnowledge(_ knowledge: Knowledge) async throws {
        try execute(
            """
            UPDATE knowledge SET type = ?, text = ?, labels = ?, metadata = ?, updatedAt = ?, deletedAt = ?
            WHERE id = ? AND groupId = ?
            """,
            [
                knowledge.type, knowledge.text, JSONValue(knowledge.labels).jsonText(), knowledge.metadata.jsonText(),
                knowledge.updatedAt, knowledge.deletedAt, knowledge.id, knowledge.groupId,
            ])
    }
}
