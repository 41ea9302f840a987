extension OneService {
    static let maxEmbedTexts = 100
    static let maxEmbedTextLength = 8_000
    static let maxPromptLength = 32_000
    static let maxContextPassages = 20
    static let maxGenerationTokens = 4_096

    /// Embeds texts on request, with the server's embedder.
    public func embedTexts(_ input: EmbedRequest, in scope: Scope) async throws -> EmbedResult {
        try AccessPolicy.require(scope.principal, .read, .knowledge)
        guard let given = input.texts else { throw OneError.validation("texts", "texts is required: an array of strings") }
        guard (1...Self.maxEmbedTexts).contains(given.count) else {
            throw OneError.validation("texts", "texts must hold from 1 to \(Self.maxEmbedTexts) strings")
        }
        let texts = try given.enumerated().map { index, text throws(OneError) in
            try Validate.text(text, field: "texts[\(index)]", maxLength: Self.maxEmbedTextLength)
        }
        let tokens = texts.reduce(0) { $0 + Chunker.estimatedTokens($1) }
        try await admitAIUse(tokens, in: scope)
        let vectors = try await embedder.embed(texts, batchSize: Self.embeddingBatch)
        try await recordAIUse("text_embedded", tokens: tokens, model: embedder.model, metadata: ["texts": .integer(Int64(texts.count))], in: scope)
        return EmbedResult(embeddings: vectors, model: embedder.model, dimensions: embedder.dimensions, tokens: tokens)
    }

    /// Answers a prompt; with `context`, from the group's knowledge, citing it.
    public func generate(_ input: GenerateRequest, in scope: Scope) async throws -> GenerateResult {
        let (request, sources) = try await generationRequest(input, in: scope)
        let generation = try await generator.generate(request)
        try await recordAIUse(
            "ai_response_generated", tokens: generation.usage.total, model: generation.model,
            metadata: ["context": .bool(input.context ?? false), "sources": .integer(Int64(sources.count))], in: scope)
        return GenerateResult(text: generation.text, model: generation.model, tokens: generation.usage.total, sources: input.context == true ? sources : nil)
    }

    /// ``generate(_:in:)`` as it is written. Cancelling the consumer stops the generation.
    /// What the stream used is charged when it ends, however it ends (finished, failed, or
    /// abandoned part way, counting the words written), so no transport can skip the charge.
    public func streamGeneration(_ input: GenerateRequest, in scope: Scope) async throws -> GenerationStream {
        let (request, sources) = try await generationRequest(input, in: scope)
        let upstream = generator.stream(request)
        let model = generator.model
        let metadata: JSONValue = ["streamed": true, "sources": .integer(Int64(sources.count))]
        let events = AsyncThrowingStream<GenerationEvent, any Error> { continuation in
            let relay = Task {
                var usage: TokenUsage?
                var written = 0
                do {
                    for try await event in upstream {
                        switch event {
                        case .delta(let text): written += Chunker.estimatedTokens(text)
                        case .finished(let final): usage = final
                        }
                        continuation.yield(event)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
                let used = usage ?? TokenUsage(prompt: 0, completion: written)
                // A task of its own: this one may be cancelled (the client left), the charge may not.
                Task {
                    try? await self.recordAIUse("ai_response_generated", tokens: used.total, model: model, metadata: metadata, in: scope)
                }
            }
            continuation.onTermination = { _ in relay.cancel() }
        }
        return GenerationStream(sources: sources, model: model, events: events)
    }

    private func generationRequest(_ input: GenerateRequest, in scope: Scope) async throws -> (GenerationRequest, [AISource]) {
        try AccessPolicy.require(scope.principal, .read, .knowledge)
        let prompt = try Validate.text(input.prompt, field: "prompt", maxLength: Self.maxPromptLength)
        let system = try Validate.optionalText(input.system, field: "system", maxLength: Self.maxPromptLength)
        let maxTokens = try Self.maxTokens(input.maxTokens)
        let limit = try Self.contextLimit(input.limit)
        // Admitted before retrieval, whose query embedding may already be paid for.
        try await admitAIUse(Chunker.estimatedTokens(prompt) + maxTokens / 4, in: scope)
        let sources = input.context == true ? try await retrieve(prompt, limit: limit, in: scope) : []
        let request = GenerationRequest(
            system: Self.instructions(system, sources: sources), messages: [ChatMessage(role: .user, content: prompt)],
            sources: sources.map(Passage.init), maxTokens: maxTokens)
        return (request, sources)
    }

    static func maxTokens(_ value: Int?) throws -> Int {
        let maxTokens = value ?? 1024
        guard (1...maxGenerationTokens).contains(maxTokens) else {
            throw OneError.validation("maxTokens", "maxTokens must be an integer from 1 to \(maxGenerationTokens)")
        }
        return maxTokens
    }

    /// How many passages a question may draw on: `limit`, checked, or the search default.
    static func contextLimit(_ value: Int?) throws(OneError) -> Int {
        let limit = value ?? defaultSearchLimit
        guard (1...maxContextPassages).contains(limit) else {
            throw OneError.validation("limit", "limit must be an integer from 1 to \(maxContextPassages)")
        }
        return limit
    }

    /// The passages a question draws on: a hybrid search of the group's chunks.
    func retrieve(_ question: String, limit: Int, in scope: Scope) async throws -> [AISource] {
        let found = try await searchKnowledge(KnowledgeSearch(query: String(question.prefix(Self.maxQueryLength)), limit: limit), in: scope)
        return found.results.map {
            AISource(id: $0.id, documentId: $0.documentId, title: $0.metadata.objectValue?["title"]?.stringValue, score: $0.score, text: $0.text)
        }
    }

    /// The system prompt: the caller's, then the numbered passages to answer from.
    static func instructions(_ system: String?, sources: [AISource]) -> String? {
        guard !sources.isEmpty else { return system }
        let passages = sources.enumerated().map { "[\($0.offset + 1)] \($0.element.title.map { $0 + ": " } ?? "")\($0.element.text)" }
        return ([system].compactMap { $0 } + [
            "Answer from these passages of the user's knowledge base. Cite each passage you use as [n]. "
                + "If they do not hold the answer, say so.",
            passages.joined(separator: "\n\n"),
        ]).joined(separator: "\n\n")
    }

    /// Refuses, before a provider is paid, a request that could not be recorded (the tenant
    /// tree's archive rules, as for any write) or that an `aiTokens` limit cannot cover: the
    /// group's own, or one above it, which bounds the whole subtree as every other limit does.
    ///
    /// The estimate is checked here and the real use charged afterwards, so requests running
    /// at once may together pass a limit by at most their estimates.
    func admitAIUse(_ estimated: Int, in scope: Scope) async throws {
        for group in try await writableChain(scope) {
            guard let limit = group.limits[.aiTokens] else { continue }
            let used = try await store.aiTokensUsed(groupId: group.id)
            guard used + estimated <= limit else {
                let whose = group.id == scope.groupId ? "the group" : "a group above this one"
                throw OneError(
                    .quotaExceeded,
                    "this request needs about \(estimated) AI tokens and \(whose) has \(max(0, limit - used)) of its \(limit) left; raise settings.limits.aiTokens",
                    field: "settings.limits.aiTokens")
            }
        }
    }

    /// Refuses work for a group that cannot be written (archived, or the key's home archived)
    /// before anything is paid for; the write that follows checks again.
    func requireWritable(_ scope: Scope) async throws {
        _ = try await writableChain(scope)
    }

    private func writableChain(_ scope: Scope) async throws -> [GroupNode] {
        try await write { transaction in
            try await TenantTree.writableChain(scope.groupId, for: scope.principal, transaction)
        }
    }

    /// Charges what a request used, with its event, in one transaction: to the group and to
    /// every group above it, whose counters hold their subtree's use.
    func recordAIUse(_ type: String, tokens: Int, model: String, metadata: JSONValue, in scope: Scope) async throws {
        let event = draft(
            scope, type, target: nil,
            metadata: metadata.merging(["tokens": .integer(Int64(tokens)), "model": .string(model)]))
        try await write { transaction in
            for group in try await TenantTree.writableChain(scope.groupId, for: scope.principal, transaction) {
                try await transaction.addAITokens(tokens, groupId: group.id)
            }
            try await transaction.append(event)
        }
    }
}
