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
        try await knowledge(id: id, groupId: groupId, on: nil)
    }

    func knowledge(id: String, groupId: String, on connection: PostgresConnection?) async throws -> Knowledge? {
        try await fetchOne(
            PostgresQuery(unsafeSQL: Self.knowledgeSelect + " WHERE id = $1 AND group_id = $2", binds: binds(id, groupId)),
            on: connection, Knowledge.init(row:))
    }

    public func knowledge(_ query: KnowledgeQuery, page: PageRequest) async throws -> Page<Knowledge> {
        var conditions = Conditions()
        conditions.add("group_id", query.groupId)
        conditions.add("deleted_at IS NULL")
        if let type = query.type { conditions.add("type", type) }
        if let sourceThingId = query.sourceThingId { conditions.add("source_thing_id", sourceThingId) }
        if let label = query.label { conditions.add("labels @>", [label]) }
        return try await fetchPage(Self.knowledgeSelect, where: conditions, page: page, decode: Knowledge.init(row:), cursor: \.id)
    }

    public func createKnowledge(_ knowledge: Knowledge, event: EventDraft) async throws -> Knowledge {
        try await write { connection, log in
            try await self.admit(knowledge.groupId, adding: .knowledge, connection)
            try await connection.query(
                """
                INSERT INTO knowledge (id, group_id, type, text, labels, metadata, source_thing_id, source_field, created_by,
                    created_at, updated_at, deleted_at)
                VALUES (\(knowledge.id), \(knowledge.groupId), \(knowledge.type), \(knowledge.text), \(knowledge.labels),
                        \(knowledge.metadata.jsonText())::jsonb, \(knowledge.sourceThingId), \(knowledge.sourceField),
                        \(knowledge.createdBy), \(knowledge.createdAt), \(knowledge.updatedAt), \(knowledge.deletedAt))
                """, logger: self.logger)
            log.stage(event)
            return knowledge
        }
    }

    public func updateKnowledge(id: String, groupId: String, _ body: @escaping Update<Knowledge>) async throws -> Knowledge {
        try await write { connection, log in
            let locked = try await self.fetchOne(
                PostgresQuery(unsafeSQL: Self.knowledgeSelect + Self.lockedInGroup, binds: binds(id, groupId)), on: connection, Knowledge.init(row:))
            guard let current = locked else { throw OneError.notFound("knowledge") }
            try await self.admit(groupId, adding: nil, connection)
            let (updated, event) = try body(current)
            try await connection.query(
                """
                UPDATE knowledge SET type = \(updated.type), text = \(updated.text), labels = \(updated.labels),
                    metadata = \(updated.metadata.jsonText())::jsonb, updated_at = \(updated.updatedAt),
                    deleted_at = \(updated.deletedAt)
                WHERE id = \(id) AND group_id = \(groupId)
                """, logger: self.logger)
            log.stage(event)
            return updated
        }
    }
}
