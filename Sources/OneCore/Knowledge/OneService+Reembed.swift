/// `POST /api/knowledge/reembed`: how many chunks to embed again in one call.
public struct ReembedRequest: Codable, Sendable {
    public var limit: Int?
    public init(limit: Int? = nil) { self.limit = limit }
}

/// What one call re-embedded, and what is left for the next.
public struct ReembedResult: Sendable, Equatable {
    public var reembedded: Int
    public var remaining: Int
    public var model: String
}

extension OneService {
    public static let defaultReembedLimit = 256
    public static let maxReembedLimit = 2_000

    /// Embeds again, with the server's embedder, up to `limit` of the group's chunks that
    /// another model embedded (after a change of `--embedder`, say), so vector and hybrid search
    /// find them again; until then they are found by `text` only. Call again until `remaining`
    /// is 0: each call is bounded, so none holds the store or the embedder for long.
    ///
    /// Each chunk re-embedded gets a `knowledge_updated` event, through which every node's
    /// index replaces its vector. A chunk deleted meanwhile, or re-embedded by another call at
    /// the same time, is left alone. Owners only, as the work is the group's, not one record's;
    /// not in an atomic batch, which would hold the store while the embedder runs.
    public func reembedKnowledge(_ input: ReembedRequest, in scope: Scope) async throws -> ReembedResult {
        try AccessPolicy.require(scope.principal, .update, .knowledge)
        let limit = input.limit ?? Self.defaultReembedLimit
        guard (1...Self.maxReembedLimit).contains(limit) else {
            throw OneError.validation("limit", "limit must be an integer from 1 to \(Self.maxReembedLimit)")
        }
        guard !isAtomic else {
            throw OneError.validation("path", "re-embedding runs alone or in a batch that is not atomic: it calls the embedder")
        }
        // Refused before the embedder (perhaps a paid provider) is called for a group that cannot write.
        try await requireWritable(scope)
        let model = embedder.model
        let backlog = try await store.chunksNotEmbedded(by: model, groupId: scope.groupId, limit: limit)
        guard !backlog.chunks.isEmpty else { return ReembedResult(reembedded: 0, remaining: 0, model: model) }
        let vectors = try await embedder.embed(backlog.chunks.map { $0.text ?? "" }, batchSize: Self.embeddingBatch)
        let now = clock.now()
        let drafts = backlog.chunks.map { chunk in
            var after = chunk
            after.updatedAt = now
            return draft(scope, "knowledge_updated", target: chunk.id, change: .between(chunk, after), metadata: ["embedder": .string(model)])
        }
        let reembedded = try await write { transaction in
            _ = try await TenantTree.writableChain(scope.groupId, for: scope.principal, transaction)
            // Chunks deleted meanwhile, or re-embedded by a call running at the same time, are left alone.
            let updated = try await transaction.updateEmbeddings(
                zip(backlog.chunks, vectors).map { ($0.id, $1) }, model: model, groupId: scope.groupId, updatedAt: now)
            try await transaction.append(contentsOf: drafts.filter { $0.targetId.map(updated.contains) ?? false })
            return updated.count
        }
        return ReembedResult(reembedded: reembedded, remaining: max(0, backlog.total - backlog.chunks.count), model: model)
    }
}
