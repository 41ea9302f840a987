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
                        SELECT * FROM knowledge WHERE groupId = ? AND deletedAt IS NULL
                        AND id IN (SELECT value FROM json_each(?))
                        """),
                arguments: [groupId, JSONValue(ids).jsonText()]
            ).map(Knowledge.init(row:))
        }
    }

    public func searchChunks(_ search: ChunkTextSearch) async throws -> [ScoredID] {
        try read { db in
            // Terms are letters and digits only (the domain made them so); quoted, each is a
            // plain FTS5 string, never query syntax. Ranking reads the index alone: the records
            // are joined only when a filter needs their columns.
            var sql = """
                SELECT s.knowledgeId AS id, -bm25(knowledge_fts) AS score
                FROM knowledge_fts JOIN knowledge_search s ON s.rowid = knowledge_fts.rowid
                """
            var conditions = ["knowledge_fts MATCH ?", "s.groupId = ?"]
            var arguments: StatementArguments = [search.terms.map { "\"\($0)\"" }.joined(separator: " OR "), search.groupId]
            if !search.filters.isEmpty {
                sql += " JOIN knowledge k ON k.id = s.knowledgeId"
                if let source = search.filters.sourceThingId {
                    conditions.append("k.sourceThingId = ?")
                    _ = arguments.append(contentsOf: [source])
                }
                if let document = search.filters.documentId {
                    conditions.append("json_extract(k.metadata, '$.documentId') = ?")
                    _ = arguments.append(contentsOf: [document])
                }
                for label in search.filters.labels {
                    conditions.append("EXISTS (SELECT 1 FROM json_each(k.labels) WHERE value = ?)")
                    _ = arguments.append(contentsOf: [label])
                }
            }
            sql += " WHERE " + conditions.joined(separator: " AND ") + " ORDER BY bm25(knowledge_fts) LIMIT ?"
            _ = arguments.append(contentsOf: [search.limit])
            return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map {
                ScoredID(id: $0["id"], score: $0["score"])
            }
        }
    }

    public func chunkVectors(groupId: String, model: String) async throws -> ChunkVectorSnapshot {
        try read { db in
            // The sequence first: a chunk written between the two reads is both loaded and
            // replayed from the log, which the index ignores the second time.
            let through = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT COALESCE(MAX(sequence), 0) FROM events WHERE groupId = ?"), arguments: [groupId]) ?? 0
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT id, embedding, json_extract(metadata, '$.documentId') AS documentId, sourceThingId, labels
                        FROM knowledge
                        WHERE groupId = ? AND type = 'chunk' AND deletedAt IS NULL AND embeddingModel = ?
                        """),
                arguments: [groupId, model])
            return ChunkVectorSnapshot(rows: try rows.compactMap(Self.chunkVector), through: through)
        }
    }

    public func chunkVectorChanges(groupId: String, model: String, after sequence: Int64, limit: Int) async throws -> ChunkVectorChanges {
        try read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT e.sequence, e.type AS event, e.targetId AS id, k.type, k.embeddingModel, k.embedding,
                            json_extract(k.metadata, '$.documentId') AS documentId, k.sourceThingId, k.labels
                        FROM events e LEFT JOIN knowledge k ON k.id = e.targetId AND e.type = 'knowledge_created'
                        WHERE e.groupId = ? AND e.type IN ('knowledge_created', 'knowledge_deleted') AND e.sequence > ?
                        ORDER BY e.sequence LIMIT ?
                        """),
                arguments: [groupId, sequence, limit])
            var changes: [ChunkVectorChanges.Change] = []
            for row in rows {
                switch row["event"] as String {
                case "knowledge_created":
                    guard row["type"] == "chunk", row["embeddingModel"] == model, let chunk = try Self.chunkVector(row) else { continue }
                    changes.append(.added(chunk))
                case "knowledge_deleted":
                    changes.append(.removed(id: row["id"]))
                default:
                    continue
                }
            }
            return ChunkVectorChanges(
                changes: changes, through: rows.last?["sequence"] ?? sequence, hasMore: rows.count == limit)
        }
    }

    private static func chunkVector(_ row: Row) throws -> ChunkVector? {
        guard let bytes = row["embedding"] as Data?, let vector = Embedding.vector(from: bytes) else { return nil }
        return ChunkVector(
            id: row["id"], vector: vector, documentId: row["documentId"], sourceThingId: row["sourceThingId"],
            labels: try stringArray(row["labels"]))
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
                        SELECT * FROM knowledge WHERE groupId = ? AND json_extract(metadata, '$.documentId') = ?
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
