import Foundation
import GRDB
import OneCore

extension SQLiteStore {
    public func knowledge(ids: [String], groupId: String) async throws -> [Knowledge] {
        guard !ids.isEmpty else { return [] }
        return try read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(Self.knowledgeColumns) FROM knowledge WHERE groupId = ? AND deletedAt IS NULL
                        AND id IN (SELECT value FROM json_each(?))
                        """),
                arguments: [groupId, JSONValue(ids).jsonText()]
            ).map(Knowledge.init(row:))
        }
    }

    public func indexedChunks(groupId: String, model: String, after id: String?, limit: Int) async throws -> [IndexedChunk] {
        try read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT id, text, CASE WHEN embeddingModel = ? THEN embedding END AS embedding,
                            json_extract(metadata, '$.documentId') AS documentId, sourceThingId, labels
                        FROM knowledge
                        WHERE groupId = ? AND type = 'chunk' AND id > ? AND deletedAt IS NULL
                        ORDER BY id LIMIT ?
                        """),
                arguments: [model, groupId, id ?? "", limit]
            ).map(Self.indexedChunk)
        }
    }

    public func indexedChunkChanges(groupId: String, model: String, after sequence: Int64, limit: Int) async throws -> IndexedChunkChanges {
        try read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT e.sequence, e.type AS event, e.targetId AS id, k.type, k.text,
                            CASE WHEN k.embeddingModel = ? THEN k.embedding END AS embedding,
                            json_extract(k.metadata, '$.documentId') AS documentId, k.sourceThingId, k.labels
                        FROM events e LEFT JOIN knowledge k
                            ON k.id = e.targetId AND k.groupId = e.groupId AND k.type = 'chunk'
                            AND e.type IN ('knowledge_created', 'knowledge_updated')
                        WHERE e.groupId = ? AND e.type IN ('knowledge_created', 'knowledge_updated', 'knowledge_deleted')
                        AND e.sequence > ?
                        ORDER BY e.sequence LIMIT ?
                        """),
                arguments: [model, groupId, sequence, limit])
            var changes: [IndexedChunkChanges.Change] = []
            for row in rows {
                switch row["event"] as String {
                case "knowledge_created":
                    guard row["type"] as String? == "chunk" else { continue }
                    changes.append(.added(try Self.indexedChunk(row)))
                case "knowledge_updated":
                    guard row["type"] as String? == "chunk" else { continue }
                    changes.append(.replaced(try Self.indexedChunk(row)))
                case "knowledge_deleted":
                    changes.append(.removed(id: row["id"]))
                default:
                    continue
                }
            }
            return IndexedChunkChanges(
                changes: changes, through: rows.last?["sequence"] ?? sequence, hasMore: rows.count == limit)
        }
    }

    public func chunksNotEmbedded(by model: String, groupId: String, limit: Int) async throws -> (chunks: [Knowledge], total: Int) {
        try read { db in
            let unembedded = "WHERE groupId = ? AND type = 'chunk' AND deletedAt IS NULL AND embeddingModel IS NOT ?"
            let chunks = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT \(Self.knowledgeColumns) FROM knowledge \(unembedded) ORDER BY id LIMIT ?"),
                arguments: [groupId, model, limit]
            ).map(Knowledge.init(row:))
            let total = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT count(*) FROM knowledge \(unembedded)"), arguments: [groupId, model]) ?? 0
            return (chunks, total)
        }
    }

    private static func indexedChunk(_ row: Row) throws -> IndexedChunk {
        let vector = (row["embedding"] as Data?).flatMap(Embedding.vector(from:)) ?? []
        return IndexedChunk(
            id: row["id"], text: row["text"] ?? "", vector: vector, documentId: row["documentId"],
            sourceThingId: row["sourceThingId"], labels: try stringArray(row["labels"]))
    }

    public func aiTokensUsed(groupId: String) async throws -> Int {
        try read { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT tokens FROM ai_usage WHERE groupId = ?"), arguments: [groupId]) ?? 0
        }
    }
}

extension SQLiteTransaction {
    func liveChunksForUpdate(documentId: String, groupId: String) async throws -> [Knowledge] {
        try run { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(SQLiteStore.knowledgeColumns) FROM knowledge
                        WHERE groupId = ? AND json_extract(metadata, '$.documentId') = ?
                        AND type = 'chunk' AND deletedAt IS NULL
                        """),
                arguments: [groupId, documentId]
            ).map(Knowledge.init(row:))
        }
    }

    func addAITokens(_ tokens: Int, groupId: String) async throws {
        try execute(
            "INSERT INTO ai_usage (groupId, tokens) VALUES (?, ?) ON CONFLICT (groupId) DO UPDATE SET tokens = tokens + excluded.tokens",
            [groupId, tokens])
    }
}
