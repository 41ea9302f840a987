import NIOCore
import OneCore
import PostgresNIO

extension Knowledge {
    init(row: PostgresRow) throws {
        let columns = Columns(row)
        self.init(
            id: try columns("id"), groupId: try columns("group_id"), type: try columns("type"), text: try columns("text"),
            labels: try columns("labels"), metadata: try columns.json("metadata"), sourceThingId: try columns("source_thing_id"),
            sourceField: try columns("source_field"), createdBy: try columns("created_by"), createdAt: try columns("created_at"),
            updatedAt: try columns("updated_at"), deletedAt: try columns("deleted_at"))
    }
}

extension PostgresStore {
    static let knowledgeSelect = """
        SELECT id, group_id, type, text, labels, metadata::text AS metadata, source_thing_id, source_field, created_by,
               created_at, updated_at, deleted_at FROM knowledge
        """

    public func knowledge(id: String, groupId: String) async throws -> Knowledge? {
        try await fetchOne(
            PostgresQuery(unsafeSQL: Self.knowledgeSelect + " WHERE id = $1 AND group_id = $2", binds: binds(id, groupId)),
            Knowledge.init(row:))
    }

    public func knowledge(_ query: KnowledgeQuery, page: PageRequest) async throws -> Page<Knowledge> {
        var conditions = Conditions()
        conditions.addGroup(query.groupId, query.subgroupIds)
        conditions.add("deleted_at IS NULL")
        if let type = query.type { conditions.add("type", type) }
        if let sourceThingId = query.sourceThingId { conditions.add("source_thing_id", sourceThingId) }
        if let label = query.label { conditions.add("labels @>", [label]) }
        return try await fetchPage(Self.knowledgeSelect, where: conditions, page: page, decode: Knowledge.init(row:), cursor: \.id)
    }
}

extension PostgresTransaction {
    func knowledgeForUpdate(id: String, groupId: String) async throws -> Knowledge? {
        try await fetchOne(
            PostgresQuery(unsafeSQL: PostgresStore.knowledgeSelect + PostgresStore.lockedInGroup, binds: binds(id, groupId)),
            Knowledge.init(row:))
    }

    func insertKnowledge(_ knowledge: Knowledge) async throws {
        try await query(
            """
            INSERT INTO knowledge (id, group_id, type, text, labels, metadata, source_thing_id, source_field, created_by,
                created_at, updated_at, deleted_at, embedding, embedding_model)
            VALUES (\(knowledge.id), \(knowledge.groupId), \(knowledge.type), \(knowledge.text), \(knowledge.labels),
                    \(knowledge.metadata.jsonText())::jsonb, \(knowledge.sourceThingId), \(knowledge.sourceField),
                    \(knowledge.createdBy), \(knowledge.createdAt), \(knowledge.updatedAt), \(knowledge.deletedAt),
                    \(knowledge.embedding.map { ByteBuffer(bytes: $0.bytes) }), \(knowledge.embedding?.model))
            """)
    }

    func updateEmbeddings(
        _ vectors: [(knowledgeId: String, vector: [Float])], model: String, groupId: String, updatedAt: Timestamp
    ) async throws -> Set<String> {
        let ids = vectors.map(\.knowledgeId)
        let embeddings = vectors.map { ByteBuffer(bytes: Embedding(model: model, vector: $0.vector).bytes) }
        // Locked in ID order first, as a document's delete locks its chunks, so the two never deadlock.
        try await query("SELECT id FROM knowledge WHERE id = ANY(\(ids)) AND group_id = \(groupId) ORDER BY id FOR UPDATE")
        let updated = try await fetchAll(
            """
            UPDATE knowledge k SET embedding = u.embedding, embedding_model = \(model), updated_at = \(updatedAt)
            FROM unnest(\(ids)::text[], \(embeddings)::bytea[]) AS u(id, embedding)
            WHERE k.id = u.id AND k.group_id = \(groupId) AND k.deleted_at IS NULL
                AND k.embedding_model IS DISTINCT FROM \(model)
            RETURNING k.id
            """
        ) { try $0.decode(String.self) }
        return Set(updated)
    }

    func updateKnowledge(_ knowledge: Knowledge) async throws {
        try await query(
            """
            UPDATE knowledge SET type = \(knowledge.type), text = \(knowledge.text), labels = \(knowledge.labels),
                metadata = \(knowledge.metadata.jsonText())::jsonb, updated_at = \(knowledge.updatedAt),
                deleted_at = \(knowledge.deletedAt)
            WHERE id = \(knowledge.id) AND group_id = \(knowledge.groupId)
            """)
    }
}
