/// The offline default generator: it writes nothing of its own. Given retrieved passages, it
/// answers with their sentences that best match the question, each cited ([1], [2]…), so RAG
/// works with no model and no network. Without passages it says what it can do. Structured
/// output is limited to entity extraction, by a capitalisation heuristic.
public struct ExtractiveGenerator: TextGenerator {
    public let model = "local-extractive-v1"
    /// Sentences an answer quotes at most.
    let maxSentences: Int

    public init(maxSentences: Int = 3) {
        self.maxSentences = maxSentences
    }

    public func generate(_ request: GenerationRequest) async throws -> Generation {
        let text = answer(request)
        return Generation(text: text, model: model, usage: usage(request, answer: text))
    }

    public func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let text = answer(request)
        let usage = usage(request, answer: text)
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        return AsyncThrowingStream { continuation in
            for (index, word) in words.enumerated() {
                continuation.yield(.delta(index == 0 ? String(word) : " " + word))
            }
            continuation.yield(.finished(usage))
            continuation.finish()
        }
    }

    public func generateObject(_ request: GenerationRequest, schema: StructuredSchema) async throws -> (object: JSONValue, usage: TokenUsage) {
        guard schema.name == EntityExtraction.schema.name else {
            throw OneError(
                .validation,
                "the local generator fills only the \(EntityExtraction.schema.name) schema; configure --generator openai or anthropic for others")
        }
        let entities = EntityExtraction.heuristicEntities(in: request.question)
        let object: JSONValue = ["entities": .array(entities.map(\.json))]
        return (object, TokenUsage(prompt: Chunker.estimatedTokens(request.question), completion: entities.count * 8))
    }

    func answer(_ request: GenerationRequest) -> String {
        guard !request.sources.isEmpty else {
            return "No passage of this group's knowledge matches the question. The local generator answers only from "
                + "retrieved knowledge (ask with context: true); configure a model provider for open-ended generation."
        }
        let wanted = Set(TextTerms.words(in: request.question).filter { !TextTerms.isStopWord($0) }.map(TextTerms.stem))
        var candidates: [(score: Double, source: Int, order: Int, sentence: String)] = []
        for (sourceIndex, source) in request.sources.enumerated() {
            for (order, sentence) in Chunker.sentences(of: source.text).enumerated() {
                let terms = Set(TextTerms.words(in: sentence).filter { !TextTerms.isStopWord($0) }.map(TextTerms.stem))
                let overlap = Double(terms.intersection(wanted).count)
                // Prefer matching sentences, then better-ranked passages, then earlier sentences.
                let score = overlap * 10 + source.score - Double(order) * 0.01
                candidates.append((score, sourceIndex, order, sentence))
            }
        }
        let chosen = candidates.sorted { $0.score > $1.score }.prefix(maxSentences)
            .sorted { ($0.source, $0.order) < ($1.source, $1.order) }
        return chosen.map { "\($0.sentence) [\($0.source + 1)]" }.joined(separator: " ")
    }

    private func usage(_ request: GenerationRequest, answer: String) -> TokenUsage {
        let prompt = ([request.system ?? ""] + request.messages.map(\.content) + request.sources.map(\.text)).joined(separator: " ")
        return TokenUsage(prompt: Chunker.estimatedTokens(prompt), completion: Chunker.estimatedTokens(answer))
    }
}
