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
        let hits: [SearchHit]
        switch mode {
        case .vector:
            hits = try await vectorHits(query, limit: limit, filters: filters, in: scope)
        case .text:
            hits = try await textHits(query, limit: limit, filters: filters, in: scope)
        case .hybrid:
            let depth = max(limit * 4, 20)
            async let byMeaning = vectorHits(query, limit: depth, filters: filters, in: scope)
            async let byWords = textHits(query, limit: depth, filters: filters, in: scope)
            hits = Self.fuse([try await byMeaning, try await byWords], limit: limit)
        }
        return SearchResults(results: hits, count: hits.count, mode: mode, embedder: mode == .text ? nil : embedder.model)
    }

    static func filters(_ input: KnowledgeSearch.Filters?) throws -> KnowledgeFilters {
        guard let input else { return KnowledgeFilters() }
        let labels = input.labels ?? []
        guard labels.count <= 20 else { throw OneError.validation("filters.labels", "filters.labels may hold at most 20 labels") }
        for label in labels { _ = try Validate.text(label, field: "filters.labels", maxLength: 200) }
        return KnowledgeFilters(
            labels: labels.map { $0.trimmingWhitespace() },
            sourceThingId: try Validate.optionalID(input.sourceThingId, .thing, field: "filters.sourceThingId"),
            documentId: try Validate.optionalID(input.documentId, .knowledge, field: "filters.documentId"))
    }

    func vectorHits(_ query: String, limit: Int, filters: KnowledgeFilters, in scope: Scope) async throws -> [SearchHit] {
        async let rows = vectorIndexes.rows(
            groupId: scope.groupId, model: embedder.model, dimensions: embedder.dimensions, store: store)
        guard let vector = try await embedder.embed([query]).first else { return [] }
        let nearest = try await rows.nearest(to: vector, limit: limit, filters: filters)
        let records = try await store.knowledge(ids: nearest.map(\.id), groupId: scope.groupId)
        let byId = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // A chunk deleted since the index last read the log is left out, never shown.
        return nearest.compactMap { hit in byId[hit.id].map { SearchHit($0, score: Double(hit.score)) } }
    }

    func textHits(_ query: String, limit: Int, filters: KnowledgeFilters, in scope: Scope) async throws -> [SearchHit] {
        var seen = Set<String>()
        let terms = TextTerms.words(in: query).filter { !TextTerms.isStopWord($0) && seen.insert($0).inserted }.prefix(32)
        guard !terms.isEmpty else { return [] }
        let found = try await store.searchChunks(
            ChunkTextSearch(groupId: scope.groupId, terms: Array(terms), filters: filters, limit: limit))
        return found.map { SearchHit($0.knowledge, score: $0.score) }
    }

    /// Reciprocal rank fusion: each list adds 1 / (k + rank) to a chunk's score.
    static func fuse(_ lists: [[SearchHit]], limit: Int) -> [SearchHit] {
        var fused: [String: SearchHit] = [:]
        var order: [String] = []
        for list in lists {
            for (rank, hit) in list.enumerated() {
                let score = 1 / (fusionConstant + Double(rank + 1))
                if fused[hit.id] == nil {
                    order.append(hit.id)
                    var first = hit
                    first.score = 0
                    fused[hit.id] = first
                }
                fused[hit.id]?.score += score
            }
        }
        let ranked = order.compactMap { fused[$0] }.enumerated().sorted {
            $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset
        }
        return ranked.prefix(limit).map(\.element)
    }
}
