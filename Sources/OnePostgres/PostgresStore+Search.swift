import NIOCore
import OneCore
import PostgresNIO

extension PostgresStore {
    public func knowledge(ids: [String], groupId: String) async throws -> [Knowledge] {
        guard !ids.isEmpty else { return [] }
        return try await fetchAll(
            PostgresQuery(
                unsafeSQL: Self.knowledgeSelect + " WHERE group_id = $1 AND deleted_at IS NULL AND id = ANY($2)",
                binds: binds(groupId, ids)),
            Knowledge.init(row:))
    }

    public func searchChunks(_ search: ChunkTextSearch) async throws -> [ScoredID] {
        var conditions = Conditions()
        // Terms are letters and digits only (the domain made them so): plain lexemes, ORed.
        // Ranked by ts_rank (term frequency): half the cost of ts_rank_cd's cover density.
        let query = conditions.bind(search.terms.joined(separator: " | "))
        conditions.add("group_id", search.groupId)
        conditions.add("deleted_at IS NULL")
        conditions.add("search @@ to_tsquery('english', \(query))")
        if let source = search.filters.sourceThingId { conditions.add("source_thing_id", source) }
        if let document = search.filters.documentId { conditions.add("metadata->>'documentId' =", document) }
        if !search.filters.labels.isEmpty { conditions.add("labels @>", search.filters.labels) }
        let select = "SELECT id, ts_rank(search, to_tsquery('english', \(query)))::float8 AS score FROM knowledge"
        let sql = select + conditions.clause + " ORDER BY score DESC, id LIMIT \(conditions.bind(search.limit))"
        return try await fetchAll(PostgresQuery(unsafeSQL: sql, binds: conditions.binds)) { row in
            let columns = Columns(row)
            return ScoredID(id: try columns("id"), score: try columns("score"))
        }
    }

    public func chunkVectors(groupId: String, model: String) async throws -> ChunkVectorSnapshot {
        // The sequence first: a chunk written between the two reads is both loaded and replayed
        // from the log, which the index ignores the second time.
        let through = try await fetchOne(
            "SELECT COALESCE(MAX(sequence), 0)::int8 FROM events WHERE group_id = \(groupId)") { try $0.decode(Int64.self) } ?? 0
        let rows = try await fetchAll(
            """
            SELECT id, embedding, metadata->>'documentId' AS document_id, source_thing_id, labels
            FROM knowledge
            WHERE group_id = \(groupId) AND type = 'chunk' AND deleted_at IS NULL AND embedding_model = \(model)
            """, Self.chunkVector)
        return ChunkVectorSnapshot(rows: rows.compactMap { $0 }, through: through)
    }

    public func chunkVectorChanges(groupId: String, model: String, after sequence: Int64, limit: Int) async throws -> ChunkVectorChanges {
        let rows = try await fetchAll(
            """
            SELECT e.sequence, e.type AS event, e.target_id AS id, k.type, k.embedding_model, k.embedding,
                   k.metadata->>'documentId' AS document_id, k.source_thing_id, k.labels
            FROM events e LEFT JOIN knowledge k ON k.id = e.target_id AND e.type = 'knowledge_created'
            WHERE e.group_id = \(groupId) AND e.type IN ('knowledge_created', 'knowledge_deleted') AND e.sequence > \(sequence)
            ORDER BY e.sequence LIMIT \(limit)
            """
        ) { row -> (sequence: Int64, change: ChunkVectorChanges.Change?) in
            let columns = Columns(row)
            let sequence: Int64 = try columns("sequence")
            switch try columns("event", as: String.self) {
            case "knowledge_created":
                guard try columns("type", as: String?.self) == "chunk", try columns("embedding_model", as: String?.self) == model,
                    let chunk = try Self.chunkVector(row)
                else { return (sequence, nil) }
                return (sequence, .added(chunk))
            case "knowledge_deleted":
                return (sequence, .removed(id: try columns("id")))
            default:
                return (sequence, nil)
            }
        }
        return ChunkVectorChanges(
            changes: rows.compactMap(\.change), through: rows.last?.sequence ?? sequence, hasMore: rows.count == limit)
    }

    private static func chunkVector(_ row: PostgresRow) throws -> ChunkVector? {
        let columns = Columns(row)
        guard let bytes = try columns("embedding", as: ByteBuffer?.self), let vector = Embedding.vector(from: bytes.readableBytesView)
        else { return nil }
        return ChunkVector(
            id: try columns("id"), vector: vector, documentId: try columns("document_id"),
            sourceThingId: try columns("source_thing_id"), labels: try columns("labels"))
    }

    public func aiTokensUsed(groupId: String) async throws -> Int {
        try await fetchOne("SELECT tokens FROM ai_usage WHERE group_id = \(groupId)") { Int(try $0.decode(Int64.self)) } ?? 0
    }
}

extension PostgresTransaction {
    func liveChunksForUpdate(documentId: String, groupId: String) async throws -> [Knowledge] {
        try await fetchAll(
            PostgresQuery(
                unsafeSQL: PostgresStore.knowledgeSelect
                    + " WHERE group_id = $1 AND metadata->>'documentId' = $2 AND type = 'chunk' AND deleted_at IS NULL FOR UPDATE",
                binds: binds(groupId, documentId)),
            Knowledge.init(row:))
    }

    func addAITokens(_ tokens: Int, groupId: String) async throws {
        try await query(
            """
            INSERT INTO ai_usage (group_id, tokens) VALUES (\(groupId), \(Int64(tokens)))
            ON CONFLICT (group_id) DO UPDATE SET tokens = ai_usage.tokens + excluded.tokens
            """)
    }
}
