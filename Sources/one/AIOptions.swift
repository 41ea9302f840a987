import ArgumentParser
import AsyncHTTPClient
import Foundation
import OneCore
import OneEmbedding
import OneProviders

/// Which embedder and generator `one serve` uses, and where the local model lives. Providers'
/// URLs, keys and model names come from the environment (`ONE_OPENAI_*`, `ONE_ANTHROPIC_*`).
struct AIOptions: ParsableArguments {
    enum EmbedderChoice: String, ExpressibleByArgument, CaseIterable {
        /// The local model when its weights are present, else the lexical fallback.
        case auto, local, lexical, openai
    }

    enum GeneratorChoice: String, ExpressibleByArgument, CaseIterable {
        case local, openai, anthropic
    }

    @Option(help: "Embedder: auto (the local MiniLM model when its weights are present, else lexical), local, lexical or openai.")
    var embedder: EmbedderChoice = .auto

    @Option(help: "Generator for /api/ai: local (extractive, offline), openai (any OpenAI-compatible service) or anthropic.")
    var generator: GeneratorChoice = .local

    @Option(name: .customLong("models"), help: "Directory of downloaded models (see 'one models pull'). Default: $ONE_MODELS_DIR or ./one-data/models.")
    var modelsDirectory: String?

    @Option(name: .customLong("vector-memory"), help: "MiB the in-memory search indexes (vectors and words) may hold; the least recently searched groups' are dropped past it (and reloaded when searched).")
    var vectorMemory: Int = 2048

    func validate() throws {
        guard (16...1_048_576).contains(vectorMemory) else { throw ValidationError("--vector-memory must be 16 to 1048576 MiB") }
    }

    static func modelsDirectory(_ option: String?, _ environment: [String: String]) -> String {
        option ?? environment["ONE_MODELS_DIR"] ?? "./one-data/models"
    }

    /// The embedder and generator chosen, ready to use; a missing setting fails here, at start.
    func components(_ environment: [String: String], client: HTTPClient) throws -> (embedder: any Embedder, generator: any TextGenerator) {
        let modelDirectory = URL(fileURLWithPath: Self.modelsDirectory(modelsDirectory, environment))
            .appendingPathComponent(ModelsPull.folder)
        let embedder: any Embedder
        switch self.embedder {
        case .auto:
            embedder = LocalEmbedder.weightsPresent(in: modelDirectory) ? try LocalEmbedder(directory: modelDirectory) : LexicalEmbedder()
        case .local:
            embedder = try LocalEmbedder(directory: modelDirectory)
        case .lexical:
            embedder = LexicalEmbedder()
        case .openai:
            embedder = OpenAIEmbedder(configuration: try openAI(environment), client: client)
        }
        let generator: any TextGenerator = switch self.generator {
        case .local: ExtractiveGenerator()
        case .openai: OpenAIGenerator(configuration: try openAI(environment), client: client)
        case .anthropic: AnthropicGenerator(configuration: anthropic(environment), client: client)
        }
        return (embedder, generator)
    }

    private func openAI(_ environment: [String: String]) throws -> OpenAIConfiguration {
        var configuration = OpenAIConfiguration(apiKey: environment["ONE_OPENAI_API_KEY"])
        if let url = environment["ONE_OPENAI_BASE_URL"] { configuration = OpenAIConfiguration(baseURL: url, apiKey: configuration.apiKey) }
        if let model = environment["ONE_OPENAI_MODEL"] { configuration.chatModel = model }
        if let model = environment["ONE_OPENAI_EMBEDDING_MODEL"] { configuration.embeddingModel = model }
        if let text = environment["ONE_OPENAI_EMBEDDING_DIMENSIONS"] {
            guard let dimensions = Int(text), (1...16_384).contains(dimensions) else {
                throw ValidationError("ONE_OPENAI_EMBEDDING_DIMENSIONS must be a whole number from 1 to 16384")
            }
            configuration.embeddingDimensions = dimensions
        }
        if configuration.apiKey == nil, environment["ONE_OPENAI_BASE_URL"] == nil {
            throw ValidationError("--embedder openai and --generator openai need ONE_OPENAI_API_KEY (or ONE_OPENAI_BASE_URL for a local service)")
        }
        return configuration
    }

    private func anthropic(_ environment: [String: String]) -> AnthropicConfiguration {
        var configuration = AnthropicConfiguration(
            baseURL: environment["ONE_ANTHROPIC_BASE_URL"] ?? "https://api.anthropic.com", apiKey: environment["ONE_ANTHROPIC_API_KEY"])
        if let model = environment["ONE_ANTHROPIC_MODEL"] { configuration.model = model }
        return configuration
    }
}
