extension OneService {
    /// Chunks embedded in one call to the embedder.
    static let embeddingBatch = 32
    /// A document with more chunks than this is written in steps of this many, its progress
    /// readable meanwhile in `metadata.ingest` (`status`, `chunks`, `embedded`).
    public static let ingestStep = 64

    /// One text's vector, checked against the embedder's declared shape.
    func embedOne(_ text: String) async throws -> [Float] {
        guard let vector = try await embedder.embed([text]).first, vector.count == embedder.dimensions else {
            throw OneError(.unavailable, "the embedder \(embedder.model) gave no vector of \(embedder.dimensions) dimensions")
        }
        return vector
    }

    /// Cuts a document into chunks, embeds them and stores them linked to it. A short document
    /// is written in one transaction; a long one in steps, so its progress shows, and a failure
    /// part way deletes what was written, so a failed request leaves nothing live behind.
    func ingest(_ document: Knowledge, text: String, in scope: Scope) async throws -> Knowledge {
        let pieces = chunker.chunks(of: text)
        guard !pieces.isEmpty else { throw OneError.validation("text", "text has no words to index") }
        var document = document
        document.metadata = document.metadata.setting("chunks", .integer(Int64(pieces.count)))
        document.metadata = document.metadata.setting("embedder", .string(embedder.model))

        if pieces.count <= Self.ingestStep || isAtomic {
            let vectors = try await embedder.embed(pieces, batchSize: Self.embeddingBatch)
            try await insert([document] + chunks(of: document, pieces, vectors, from: 0), in: scope)
            return document
        }

        document.metadata = document.metadata.setting("ingest", progress("embedding", pieces.count, embedded: 0))
        try await insert([document], in: scope)
        do {
            for start in stride(from: 0, to: pieces.count, by: Self.ingestStep) {
                let end = min(start + Self.ingestStep, pieces.count)
                let vectors = try await embedder.embed(Array(pieces[start..<end]), batchSize: Self.embeddingBatch)
                let records = chunks(of: document, Array(pieces[start..<end]), vectors, from: start)
                let before = document
                document.metadata = document.metadata.setting(
                    "ingest", progress(end == pieces.count ? "ready" : "embedding", pieces.count, embedded: end))
                document.updatedAt = clock.now()
                try await writeStep(records, progress: document, replacing: before, in: scope)
            }
        } catch {
            try? await removeKnowledge(id: document.id, in: scope)
            throw error
        }
        return document
    }

    private func writeStep(_ records: [Knowledge], progress: Knowledge, replacing before: Knowledge, in scope: Scope) async throws {
        let count = UsageCounts(knowledge: records.count)
        let events = records.map { draft(scope, "knowledge_created", target: $0.id, change: .created($0)) }
            + [draft(scope, "knowledge_updated", target: progress.id, change: .between(before, progress))]
        try await write { transaction in
            let chain = try await TenantTree.writableChain(scope.groupId, for: scope.principal, transaction)
            guard let current = try await transaction.knowledgeForUpdate(id: progress.id, groupId: scope.groupId),
                current.deletedAt == nil
            else { throw OneError(.conflict, "the document was deleted while it was being indexed") }
            try await TenantTree.admit(count, into: chain, transaction)
            for record in records { try await transaction.insertKnowledge(record) }
            try await transaction.updateKnowledge(progress)
            for event in events { try await transaction.append(event) }
        }
    }

    private func progress(_ status: String, _ chunks: Int, embedded: Int) -> JSONValue {
        ["status": .string(status), "chunks": .integer(Int64(chunks)), "embedded": .integer(Int64(embedded))]
    }

    private func chunks(of document: Knowledge, _ pieces: [String], _ vectors: [[Float]], from first: Int) -> [Knowledge] {
        zip(pieces, vectors).enumerated().map { offset, element in
            var metadata: JSONValue = ["documentId": .string(document.id), "chunkIndex": .integer(Int64(first + offset))]
            if let title = document.metadata.objectValue?["title"] { metadata = metadata.setting("title", title) }
            return Knowledge(
                id: ids.make(.knowledge), groupId: document.groupId, type: "chunk", text: element.0, labels: document.labels,
                metadata: metadata, sourceThingId: document.sourceThingId, sourceField: document.sourceField,
                createdBy: document.createdBy, createdAt: document.createdAt, updatedAt: document.updatedAt,
                embedding: Embedding(model: embedder.model, vector: element.1))
        }
    }
}

extension JSONValue {
    /// This object with `key` set to `value` (an object with one key when this is not one).
    func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        var object = objectValue ?? [:]
        object[key] = value
        return .object(object)
    }
}
