extension OneService {
    /// Chunks embedded in one call to the embedder.
    static let embeddingBatch = 32
    /// A document with more chunks than this is written in steps of this many, its progress
    /// readable meanwhile in `metadata.ingest` (`status`, `chunks`, `embedded`).
    public static let ingestStep = 64

    /// One text's vector, checked against the embedder's declared shape.
    func embedOne(_ text: String) async throws -> [Float] {
        try await embedder.embed([text], batchSize: 1)[0]
    }

    /// Cuts a document into chunks, embeds them and stores them linked to it. A short document
    /// is written in one transaction; a long one in steps, so its progress shows, and a failure
    /// part way deletes what was written, so a failed request leaves nothing live behind.
    func ingest(_ document: Knowledge, text: String, in scope: Scope) async throws -> Knowledge {
        let pieces = chunker.chunks(of: text)
        guard !pieces.isEmpty else { throw OneError.validation("text", "text has no words to index") }
        // Refused before the embedder (perhaps a paid provider) is called for a group that cannot write.
        try await requireWritable(scope)
        var document = document
        document.metadata = document.metadata.merging(["chunks": .integer(Int64(pieces.count)), "embedder": .string(embedder.model)])

        if pieces.count <= Self.ingestStep || isAtomic {
            let vectors = try await embedder.embed(pieces, batchSize: Self.embeddingBatch)
            try await insert([document] + chunks(of: document, pieces, vectors, from: 0), in: scope)
            return document
        }

        document.metadata = document.metadata.merging(["ingest": progress("embedding", pieces.count, embedded: 0)])
        try await insert([document], in: scope)
        do {
            for start in stride(from: 0, to: pieces.count, by: Self.ingestStep) {
                let end = min(start + Self.ingestStep, pieces.count)
                let vectors = try await embedder.embed(
                    Array(pieces[start..<end]), batchSize: Self.embeddingBatch, continuing: start > 0)
                let records = chunks(of: document, Array(pieces[start..<end]), vectors, from: start)
                let before = document
                document.metadata = document.metadata.merging(["ingest": progress(end == pieces.count ? "ready" : "embedding", pieces.count, embedded: end)])
                document.updatedAt = clock.now()
                try await insert(records, progress: (before, document), in: scope)
            }
        } catch {
            // In a task of its own: this one may be cancelled (the client left), the clean-up may not.
            let id = document.id
            await Task { try? await self.removeKnowledge(id: id, in: scope) }.value
            throw error
        }
        return document
    }

    private func progress(_ status: String, _ chunks: Int, embedded: Int) -> JSONValue {
        ["status": .string(status), "chunks": .integer(Int64(chunks)), "embedded": .integer(Int64(embedded))]
    }

    private func chunks(of document: Knowledge, _ pieces: [String], _ vectors: [[Float]], from first: Int) -> [Knowledge] {
        zip(pieces, vectors).enumerated().map { offset, element in
            var metadata: JSONValue = ["documentId": .string(document.id), "chunkIndex": .integer(Int64(first + offset))]
            if let title = document.metadata.objectValue?["title"] { metadata = metadata.merging(["title": title]) }
            return Knowledge(
                id: ids.make(.knowledge), groupId: document.groupId, type: "chunk", text: element.0, labels: document.labels,
                metadata: metadata, sourceThingId: document.sourceThingId, sourceField: document.sourceField,
                createdBy: document.createdBy, createdAt: document.createdAt, updatedAt: document.updatedAt,
                embedding: Embedding(model: embedder.model, vector: element.1))
        }
    }
}
