/// What a client sends to create knowledge.
public struct NewKnowledge: Codable, Sendable {
    public var type: String?
    public var text: String?
    public var labels: [String]?
    public var metadata: JSONValue?
    public var sourceThingId: String?
    public var sourceField: String?

    public init(
        type: String? = nil, text: String? = nil, labels: [String]? = nil, metadata: JSONValue? = nil,
        sourceThingId: String? = nil, sourceField: String? = nil
    ) {
        self.type = type
        self.text = text
        self.labels = labels
        self.metadata = metadata
        self.sourceThingId = sourceThingId
        self.sourceField = sourceField
    }
}

extension OneService {
    static let maxKnowledgeText = 100_000
    /// A document is chunked, so it may be longer: up to what a request body holds.
    static let maxDocumentText = 1_000_000
    static let maxLabels = 100
    /// Metadata the server writes on documents and their chunks; a client may not set it, or a
    /// chunk could claim another document (and be deleted with it).
    static let reservedKnowledgeMetadata: Set<String> = ["documentId", "chunkIndex", "chunks", "ingest", "embedder"]

    /// Creates knowledge. A `document` is cut into chunks, each embedded and stored linked to it
    /// (`metadata.documentId`, `metadata.chunkIndex`) and to its source thing; a `chunk` is
    /// embedded as it is. The answer is the record created; a document's says how many chunks
    /// it has (`metadata.chunks`).
    public func createKnowledge(_ input: NewKnowledge, in scope: Scope) async throws -> Knowledge {
        try AccessPolicy.require(scope.principal, .create, .knowledge)
        let type = try Validate.text(input.type, field: "type", maxLength: 100)
        try ontology.checkKnowledgeType(type)
        let text = try Validate.optionalText(
            input.text, field: "text", maxLength: type == "document" ? Self.maxDocumentText : Self.maxKnowledgeText)
        if text == nil, type != "vector_only" {
            throw OneError.validation("text", "text is required for knowledge of type \(type)")
        }
        let labels = try Validate.texts(input.labels ?? [], field: "labels", maxCount: Self.maxLabels, maxLength: 200)
        let metadata = try Validate.object(input.metadata, field: "metadata")
        if let reserved = metadata.objectValue?.keys.sorted().first(where: Self.reservedKnowledgeMetadata.contains) {
            throw OneError.validation("metadata.\(reserved)", "metadata.\(reserved) is set by the server, not by clients")
        }
        if let source = input.sourceThingId { _ = try await existingThing(source, in: scope, field: "sourceThingId") }
        let sourceField = try Validate.optionalText(input.sourceField, field: "sourceField", maxLength: 200)
        let now = clock.now()
        var knowledge = Knowledge(
            id: ids.make(.knowledge), groupId: scope.groupId, type: type, text: text,
            labels: labels, metadata: metadata, sourceThingId: input.sourceThingId,
            sourceField: sourceField, createdBy: scope.principal.actorId, createdAt: now, updatedAt: now)
        if type == "document", let text {
            return try await ingest(knowledge, text: text, in: scope)
        }
        if type == "chunk", let text {
            // Refused before the embedder (perhaps a paid provider) is called for a group that cannot write.
            try await requireWritable(scope)
            knowledge.embedding = Embedding(model: embedder.model, vector: try await embedOne(text))
        }
        try await insert([knowledge], in: scope)
        return knowledge
    }

    /// Inserts records with their `knowledge_created` events, admitted against the quota
    /// together. With `progress`, the same transaction also updates that document (still live,
    /// or the write fails with a conflict) from `before` to `after`, with its event.
    func insert(_ records: [Knowledge], progress: (before: Knowledge, after: Knowledge)? = nil, in scope: Scope) async throws {
        let count = UsageCounts(knowledge: records.count)
        let events = records.map { draft(scope, "knowledge_created", target: $0.id, change: .created($0)) }
            + (progress.map { [draft(scope, "knowledge_updated", target: $0.after.id, change: .between($0.before, $0.after))] } ?? [])
        try await write { transaction in
            let chain = try await TenantTree.writableChain(scope.groupId, for: scope.principal, transaction)
            if let progress {
                guard let current = try await transaction.knowledgeForUpdate(id: progress.after.id, groupId: scope.groupId),
                    current.deletedAt == nil
                else { throw OneError(.conflict, "the document was deleted while it was being indexed") }
                try await transaction.updateKnowledge(progress.after)
            }
            try await TenantTree.admit(count, into: chain, transaction)
            for record in records { try await transaction.insertKnowledge(record) }
            try await transaction.append(contentsOf: events)
        }
    }

    public func knowledge(id: String, in scope: Scope) async throws -> Knowledge {
        try AccessPolicy.require(scope.principal, .read, .knowledge)
        _ = try IDKind.knowledge.validate(id, field: "id")
        guard let knowledge = try await store.knowledge(id: id, groupId: scope.groupId), knowledge.deletedAt == nil
        else { throw OneError.notFound("knowledge") }
        return knowledge
    }

    public func knowledge(
        _ query: KnowledgeQuery, in scope: Scope, page: PageRequest, includeChildren: Bool = false
    ) async throws -> Page<Knowledge> {
        try AccessPolicy.require(scope.principal, .read, .knowledge)
        var query = query
        query.groupId = scope.groupId
        query.subgroupIds = try await subgroupIds(of: scope, include: includeChildren)
        query.label = try Validate.searchText(query.label, field: "label")
        if let type = query.type { try ontology.checkKnowledgeType(type) }
        _ = try Validate.optionalID(query.sourceThingId, .thing, field: "sourceThingId")
        return try await store.knowledge(query, page: page)
    }

    public func deleteKnowledge(id: String, in scope: Scope) async throws {
        try AccessPolicy.require(scope.principal, .delete, .knowledge)
        _ = try IDKind.knowledge.validate(id, field: "id")
        try await removeKnowledge(id: id, in: scope)
    }

    /// Deletes a record, and a document's chunks with it, each with its event.
    func removeKnowledge(id: String, in scope: Scope) async throws {
        let now = clock.now()
        try await write { transaction in
            guard let current = try await transaction.knowledgeForUpdate(id: id, groupId: scope.groupId),
                current.deletedAt == nil
            else { throw OneError.notFound("knowledge") }
            let chain = try await TenantTree.writableChain(scope.groupId, for: scope.principal, transaction)
            // A document goes with its chunks.
            let chunks = current.type == "document"
                ? try await transaction.liveChunksForUpdate(documentId: id, groupId: scope.groupId) : []
            for record in [current] + chunks {
                var deleted = record
                deleted.deletedAt = now
                deleted.updatedAt = now
                try await transaction.updateKnowledge(deleted)
                try await transaction.append(
                    self.draft(scope, "knowledge_deleted", target: record.id, change: .between(record, deleted)))
            }
            try await TenantTree.release(UsageCounts(knowledge: 1 + chunks.count), from: chain, transaction)
        }
    }
}
