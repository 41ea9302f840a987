extension OneService {
    static let maxEmbedTexts = 100
    static let maxEmbedTextLength = 8_000
    static let maxPromptLength = 32_000
    static let maxContextPassages = 20
    static let maxGenerationTokens = 4_096

    /// Embeds texts on request, with the server's embedder.
    public func embedTexts(_ input: EmbedRequest, in scope: Scope) async throws -> EmbedResult {
        try AccessPolicy.require(scope.principal, .read, .knowledge)
        guard let texts = input.texts else { throw OneError.validation("texts", "texts is required: an array of strings") }
        guard (1...Self.maxEmbedTexts).contains(texts.count) else {
            throw OneError.validation("texts", "texts must hold from 1 to \(Self.maxEmbedTexts) strings")
        }
        for (index, text) in texts.enumerated() where text.count > Self.maxEmbedTextLength || text.isEmpty {
            throw OneError.validation("texts[\(index)]", "each text must be 1 to \(Self.maxEmbedTextLength) characters")
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

    /// ``generate(_:in:)`` as it is written. Consuming stops when the caller's task is
    /// cancelled; call ``recordStreamedUse(_:of:in:)`` with the final usage.
    public func streamGeneration(_ input: GenerateRequest, in scope: Scope) async throws -> GenerationStream {
        let (request, sources) = try await generationRequest(input, in: scope)
        return GenerationStream(sources: sources, model: generator.model, events: generator.stream(request))
    }

    /// Records what a stream used, finished or stopped part way.
    public func recordStreamedUse(_ usage: TokenUsage, of stream: GenerationStream, in scope: Scope) async throws {
        try await recordAIUse(
            "ai_response_generated", tokens: usage.total, model: stream.model,
            metadata: ["streamed": true, "sources": .integer(Int64(stream.sources.count))], in: scope)
    }

    private func generationRequest(_ input: GenerateRequest, in scope: Scope) async throws -> (GenerationRequest, [AISource]) {
        try AccessPolicy.require(scope.principal, .read, .knowledge)
        let prompt = try Validate.text(input.prompt, field: "prompt", maxLength: Self.maxPromptLength)
        let system = try Validate.optionalText(input.system, field: "system", maxLength: Self.maxPromptLength)
        let maxTokens = try Self.maxTokens(input.maxTokens)
        let sources = input.context == true ? try await retrieve(prompt, limit: input.limit, in: scope) : []
        try await admitAIUse(Chunker.estimatedTokens(prompt + " " + sources.map(\.text).joined(separator: " ")) + maxTokens / 4, in: scope)
        let request = GenerationRequest(
            system: Self.instructions(system, sources: sources), messages: [ChatMessage(role: .user, content: prompt)],
            sources: sources.map { Passage(id: $0.id, text: $0.text, title: $0.title, score: $0.score) }, maxTokens: maxTokens)
        return (request, sources)
    }

    static func maxTokens(_ value: Int?) throws -> Int {
        let maxTokens = value ?? 1024
        guard (1...maxGenerationTokens).contains(maxTokens) else {
            throw OneError.validation("maxTokens", "maxTokens must be an integer from 1 to \(maxGenerationTokens)")
        }
        return maxTokens
    }

    /// The passages a question draws on: a hybrid search of the group's chunks.
    func retrieve(_ question: String, limit: Int?, in scope: Scope) async throws -> [AISource] {
        let limit = limit ?? Self.defaultSearchLimit
        guard (1...Self.maxContextPassages).contains(limit) else {
            throw OneError.validation("limit", "limit must be an integer from 1 to \(Self.maxContextPassages)")
        }
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

    /// Refuses a request the group's `aiTokens` limit cannot cover, or one in an archived group.
    func admitAIUse(_ estimated: Int, in scope: Scope) async throws {
        guard let group = try await store.group(id: scope.groupId) else { throw OneError.notFound("group") }
        guard group.status != .archived else { throw OneError(.groupArchived, "this group is archived: it can only be read") }
        guard let limit = group.settings.limits?[.aiTokens] else { return }
        let used = try await store.aiTokensUsed(groupId: scope.groupId)
        guard used + estimated <= limit else {
            throw OneError(
                .quotaExceeded,
                "this request needs about \(estimated) AI tokens and the group has \(max(0, limit - used)) of its \(limit) left; raise settings.limits.aiTokens",
                field: "settings.limits.aiTokens")
        }
    }

    /// Charges the group what a request used, with its event, in one transaction.
    func recordAIUse(_ type: String, tokens: Int, model: String, metadata: JSONValue, in scope: Scope) async throws {
        let event = draft(
            scope, type, target: nil,
            metadata: metadata.setting("tokens", .integer(Int64(tokens))).setting("model", .string(model)))
        try await write { transaction in
            _ = try await TenantTree.writableChain(scope.groupId, for: scope.principal, transaction)
            try await transaction.addAITokens(tokens, groupId: scope.groupId)
            try await transaction.append(event)
        }
    }
}
