import NIOCore
import OneCore
import PostgresNIO

extension PostgresStore {
    public func knowledge(ids: [String], groupId: String) async throws -> [Knowledge] {
        guard !ids.isEmpty else { return [] }
        var records: [Knowledge] = []
        for try await record in try await client.execute(Prepared.KnowledgeByIDs(groupId: groupId, ids: ids), logger: logger) {
            records.append(record)
        }
        return records
    }

    public func indexedChunks(groupId: String, model: String, after id: String?, limit: Int) async throws -> [IndexedChunk] {
        try await fetchAll(
            """
            SELECT id, text, CASE WHEN embedding_model = \(model) THEN embedding END AS embedding,
                   metadata->>'documentId' AS document_id, source_thing_id, labels
            FROM knowledge
            WHERE group_id = \(groupId) AND type = 'chunk' AND id > \(id ?? "") AND deleted_at IS NULL
            ORDER BY id LIMIT \(limit)
            """, Self.indexedChunk)
    }

    public func indexedChunkChanges(groupId: String, model: String, after sequence: Int64, limit: Int) async throws -> IndexedChunkChanges {
        let read = Prepared.IndexedChunkChanges(model: model, groupId: groupId, after: sequence, limit: limit)
        var rows: [(sequence: Int64, change: IndexedChunkChanges.Change?)] = []
        for try await row in try await client.execute(read, logger: logger) { rows.append(row) }
        return IndexedChunkChanges(
            changes: rows.compactMap(\.change), through: rows.last?.sequence ?? sequence, hasMore: rows.count == limit)
    }

    public func chunksNotEmbedded(by model: String, groupId: String, limit: Int) async throws -> (chunks: [Knowledge], total: Int) {
        let unembedded = " WHERE group_id = $1 AND type = 'chunk' AND deleted_at IS NULL AND embedding_model IS DISTINCT FROM $2"
        let chunks = try await fetchAll(
            PostgresQuery(unsafeSQL: Self.knowledgeSelect + unembedded + " ORDER BY id LIMIT $3", binds: binds(groupId, model, limit)),
            Knowledge.init(row:))
        let total = try await fetchOne(
            PostgresQuery(unsafeSQL: "SELECT count(*) FROM knowledge" + unembedded, binds: binds(groupId, model))
        ) { Int(try $0.decode(Int64.self)) } ?? 0
        return (chunks, total)
    }

    /// One row of ``Prepared/IndexedChunkChanges``: its sequence, and the change to the index if any.
    static func indexedChunkChange(_ row: PostgresRow) throws -> (sequence: Int64, change: IndexedChunkChanges.Change?) {
        let columns = Columns(row)
        let sequence: Int64 = try columns("sequence")
        switch try columns("event", as: String.self) {
        case "knowledge_created":
            guard try columns("type", as: String?.self) == "chunk" else { return (sequence, nil) }
            return (sequence, .added(try indexedChunk(row)))
        case "knowledge_updated":
            guard try columns("type", as: String?.self) == "chunk" else { return (sequence, nil) }
            return (sequence, .replaced(try indexedChunk(row)))
        case "knowledge_deleted":
            return (sequence, .removed(id: try columns("id")))
        default:
            return (sequence, nil)
        }
    }

    private static func indexedChunk(_ row: PostgresRow) throws -> IndexedChunk {
        let columns = Columns(row)
        let vector = try columns("embedding", as: ByteBuffer?.self).flatMap { Embedding.vector(from: $0.readableBytesView) } ?? []
        return IndexedChunk(
            id: try columns("id"), text: try columns("text", as: String?.self) ?? "", vector: vector, documentId: try columns("document_id"),
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
                    + " WHERE group_id = $1 AND metadata->>'documentId' = $2 AND type = 'chunk' AND deleted_at IS NULL ORDER BY id FOR UPDATE",
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
