import AsyncHTTPClient
import NIOCore
import OneCore

/// Where an OpenAI-compatible service is and how to reach it: OpenAI itself, or Ollama, vLLM,
/// LM Studio and the like by their base URL (the one ending in `/v1`).
public struct OpenAIConfiguration: Sendable {
    public var baseURL: String
    public var apiKey: String?
    public var chatModel: String
    public var embeddingModel: String
    /// The embedding model's vector length, needed before the first call to size indexes.
    public var embeddingDimensions: Int
    public var timeout: TimeAmount

    public init(
        baseURL: String = "https://api.openai.com/v1", apiKey: String? = nil, chatModel: String = "gpt-4o-mini",
        embeddingModel: String = "text-embedding-3-small", embeddingDimensions: Int = 1536, timeout: TimeAmount = .seconds(120)
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.chatModel = chatModel
        self.embeddingModel = embeddingModel
        self.embeddingDimensions = embeddingDimensions
        self.timeout = timeout
    }

    func http(_ client: HTTPClient) -> ProviderHTTP {
        ProviderHTTP(
            name: "the OpenAI-compatible service", client: client,
            headers: apiKey.map { [("Authorization", "Bearer \($0)")] } ?? [], timeout: timeout)
    }
}

/// `POST {base}/embeddings`.
public struct OpenAIEmbedder: Embedder {
    let configuration: OpenAIConfiguration
    let http: ProviderHTTP

    public init(configuration: OpenAIConfiguration, client: HTTPClient = .shared) {
        self.configuration = configuration
        http = configuration.http(client)
    }

    public var model: String { "openai:" + configuration.embeddingModel }
    public var dimensions: Int { configuration.embeddingDimensions }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        let answer = try await http.post(configuration.baseURL + "/embeddings", [
            "model": .string(configuration.embeddingModel), "input": .array(texts.map(JSONValue.string)),
        ])
        guard let data = answer.objectValue?["data"]?.arrayValue, data.count == texts.count else {
            throw OneError(.providerError, "the OpenAI-compatible service sent \(texts.count == 1 ? "no embedding" : "too few embeddings")")
        }
        var vectors = [[Float]](repeating: [], count: texts.count)
        for (position, item) in data.enumerated() {
            let index = item.objectValue?["index"]?.integerValue ?? position
            guard vectors.indices.contains(index), let values = item.objectValue?["embedding"]?.arrayValue,
                values.count == dimensions
            else {
                throw OneError(
                    .providerError,
                    "the OpenAI-compatible service sent an embedding that is not \(dimensions) numbers; set ONE_OPENAI_EMBEDDING_DIMENSIONS to the model's")
            }
            // Scaled to length 1 whatever the provider sends, so dot products are cosines.
            vectors[index] = Embedding.normalised(values.map { Float($0.doubleValue ?? 0) })
        }
        return vectors
    }
}

/// `POST {base}/chat/completions`, whole or streamed, and structured output by `response_format`.
public struct OpenAIGenerator: TextGenerator {
    let configuration: OpenAIConfiguration
    let http: ProviderHTTP

    public init(configuration: OpenAIConfiguration, client: HTTPClient = .shared) {
        self.configuration = configuration
        http = configuration.http(client)
    }

    public var model: String { configuration.chatModel }

    func body(_ request: GenerationRequest) -> [String: JSONValue] {
        var messages: [JSONValue] = []
        if let system = request.system { messages.append(["role": "system", "content": .string(system)]) }
        messages += request.messages.map { ["role": .string($0.role.rawValue), "content": .string($0.content)] }
        return ["model": .string(model), "messages": .array(messages), "max_tokens": .integer(Int64(request.maxTokens))]
    }

    public func generate(_ request: GenerationRequest) async throws -> Generation {
        let answer = try await http.post(configuration.baseURL + "/chat/completions", .object(body(request)))
        return Generation(text: try Self.content(of: answer), model: answer.objectValue?["model"]?.stringValue ?? model, usage: Self.usage(answer))
    }

    public func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        var body = body(request)
        body["stream"] = true
        body["stream_options"] = ["include_usage": true]
        return generation(from: http.events(configuration.baseURL + "/chat/completions", .object(body))) { event, usage, yield in
            if event.data == "[DONE]" { return false }
            guard let chunk = try? JSONValue(storedText: event.data) else { return true }
            let delta = chunk.objectValue?["choices"]?.arrayValue?.first?.objectValue?["delta"]?.objectValue?["content"]?.stringValue
            if let delta, !delta.isEmpty { yield(delta) }
            if chunk.objectValue?["usage"]?.objectValue != nil { usage = Self.usage(chunk) }
            return true
        }
    }

    public func generateObject(_ request: GenerationRequest, schema: StructuredSchema) async throws -> (object: JSONValue, usage: TokenUsage) {
        var body = body(request)
        body["response_format"] = [
            "type": "json_schema", "json_schema": ["name": .string(schema.name), "schema": schema.schema, "strict": true],
        ]
        let answer = try await http.post(configuration.baseURL + "/chat/completions", .object(body))
        guard let object = try? JSONValue(storedText: try Self.content(of: answer)) else {
            throw OneError(.providerError, "the OpenAI-compatible service did not answer with JSON for the \(schema.name) schema")
        }
        return (object, Self.usage(answer))
    }

    static func content(of answer: JSONValue) throws -> String {
        guard let message = answer.objectValue?["choices"]?.arrayValue?.first?.objectValue?["message"]?.objectValue,
            let content = message["content"]?.stringValue
        else { throw OneError(.providerError, "the OpenAI-compatible service sent no message") }
        return content
    }

    static func usage(_ answer: JSONValue) -> TokenUsage {
        let usage = answer.objectValue?["usage"]?.objectValue
        return TokenUsage(prompt: usage?["prompt_tokens"]?.integerValue ?? 0, completion: usage?["completion_tokens"]?.integerValue ?? 0)
    }
}
