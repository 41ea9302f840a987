extension OneService {
    public static let defaultSearchLimit = 5
    public static let maxSearchLimit = 50
    static let maxQueryLength = 2_000
    /// Reciprocal rank fusion's constant: how much a first place outweighs a tenth.
    static let fusionConstant = 60.0

    /// The group's chunks most relevant to a query: by meaning, by words, or both fused.
    public func searchKnowledge(_ input: KnowledgeSearch, in scope: Scope) async throws -> SearchResults {
        try AccessPolicy.require(scope.principal, .read, .knowledge)
        let query = try Validate.text(input.query, field: "query", maxLength: Self.maxQueryLength)
        let limit = input.limit ?? Self.defaultSearchLimit
        guard (1...Self.maxSearchLimit).contains(limit) else {
            throw OneError.validation("limit", "limit must be an integer from 1 to \(Self.maxSearchLimit)")
        }
        let filters = try Self.filters(input.filters)
        let mode = input.mode ?? .hybrid
        // One catch-up of the group's index a search, read while the query is embedded.
        async let current = chunks(in: scope)
        let vector = mode == .text ? nil : try await embedOne(query)
        let index = try await current
        let ranked: [ScoredID]
        switch mode {
        case .vector:
            ranked = await nearest(vector, limit: limit, filters: filters, in: index)
        case .text:
            ranked = matching(query, limit: limit, filters: filters, in: index)
        case .hybrid:
            let depth = max(limit * 4, 20)
            // Words are ranked on another core while the vectors are scanned.
            async let byWords = matching(query, limit: depth, filters: filters, in: index)
            let byMeaning = await nearest(vector, limit: depth, filters: filters, in: index)
            ranked = Self.fuse([byMeaning, await byWords], limit: limit)
        }
        // Only the records returned are read, once.
        let records = try await store.knowledge(ids: ranked.map(\.id), groupId: scope.groupId)
        let byId = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // A chunk deleted since the index last read the log is left out, never shown.
        let hits = ranked.compactMap { hit in byId[hit.id].map { SearchHit($0, score: hit.score) } }
        return SearchResults(results: hits, mode: mode, embedder: mode == .text ? nil : embedder.model)
    }

    static func filters(_ input: KnowledgeSearch.Filters?) throws -> KnowledgeFilters {
        guard let input else { return KnowledgeFilters() }
        return KnowledgeFilters(
            labels: try Validate.texts(input.labels ?? [], field: "filters.labels", maxCount: 20, maxLength: 200),
            sourceThingId: try Validate.optionalID(input.sourceThingId, .thing, field: "filters.sourceThingId"),
            documentId: try Validate.optionalID(input.documentId, .knowledge, field: "filters.documentId"))
    }

    /// The chunks nearest the query's vector, from the group's in-memory index.
    func nearest(_ vector: [Float]?, limit: Int, filters: KnowledgeFilters, in chunks: GroupChunks) async -> [ScoredID] {
        // A query with nothing the embedder can read (punctuation, say) has no direction: no
        // chunk is near it, rather than every chunk at a score of 0.
        guard let vector, vector.contains(where: { $0 != 0 }) else { return [] }
        return await chunkIndexes.nearest(in: chunks, to: VectorQuery(vector: vector, limit: limit, filters: filters)).map {
            ScoredID(id: $0.id, score: Double($0.score))
        }
    }

    /// The chunks whose words match the query's, by BM25 over the group's in-memory index.
    func matching(_ query: String, limit: Int, filters: KnowledgeFilters, in chunks: GroupChunks) -> [ScoredID] {
        chunkIndexes.best(in: chunks.text, matching: TextTerms.queryTerms(in: query), limit: limit, filters: filters).map {
            ScoredID(id: $0.id, score: Double($0.score))
        }
    }

    /// The scope's group's search index, current with the log.
    private func chunks(in scope: Scope) async throws -> GroupChunks {
        try await chunkIndexes.chunks(
            groupId: scope.groupId, model: embedder.model, dimensions: embedder.dimensions, store: store,
            covering: { [commits] in commits.latest })
    }

    /// Reciprocal rank fusion: each list adds 1 / (k + rank) to a chunk's score.
    static func fuse(_ lists: [[ScoredID]], limit: Int) -> [ScoredID] {
        var fused: [String: Double] = [:]
        var order: [String] = []
        for list in lists {
            for (rank, hit) in list.enumerated() {
                if fused[hit.id] == nil { order.append(hit.id) }
                fused[hit.id, default: 0] += 1 / (fusionConstant + Double(rank + 1))
            }
        }
        // Ties keep the order first seen, so equal scores rank stably.
        let ranked = order.enumerated().sorted {
            let (left, right) = (fused[$0.element] ?? 0, fused[$1.element] ?? 0)
            return left != right ? left > right : $0.offset < $1.offset
        }
        return ranked.prefix(limit).map { ScoredID(id: $0.element, score: fused[$0.element] ?? 0) }
    }
}
