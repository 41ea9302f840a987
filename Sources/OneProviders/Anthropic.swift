import AsyncHTTPClient
import NIOCore
import OneCore

/// Where Anthropic's Messages API is and how to reach it.
public struct AnthropicConfiguration: Sendable {
    public var baseURL: String
    public var apiKey: String?
    public var model: String
    public var timeout: TimeAmount

    public init(
        baseURL: String = "https://api.anthropic.com", apiKey: String? = nil, model: String = "claude-3-5-haiku-latest",
        timeout: TimeAmount = .seconds(120)
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.model = model
        self.timeout = timeout
    }
}

/// `POST {base}/v1/messages`, whole or streamed; structured output through a forced tool call.
public struct AnthropicGenerator: TextGenerator {
    static let version = "2023-06-01"
    let configuration: AnthropicConfiguration
    let http: ProviderHTTP

    public init(configuration: AnthropicConfiguration, client: HTTPClient = .shared) {
        self.configuration = configuration
        var headers = [("anthropic-version", Self.version)]
        if let key = configuration.apiKey { headers.append(("x-api-key", key)) }
        http = ProviderHTTP(name: "Anthropic", client: client, headers: headers, timeout: configuration.timeout)
    }

    public var model: String { configuration.model }
    var url: String { configuration.baseURL + "/v1/messages" }

    func body(_ request: GenerationRequest) -> [String: JSONValue] {
        var body: [String: JSONValue] = [
            "model": .string(model), "max_tokens": .integer(Int64(request.maxTokens)),
            // The Messages API takes system text apart from the turns, which are user or assistant.
            "messages": .array(request.messages.filter { $0.role != .system }.map {
                ["role": .string($0.role.rawValue), "content": .string($0.content)]
            }),
        ]
        let system = ([request.system] + request.messages.filter { $0.role == .system }.map(\.content)).compactMap { $0 }
        if !system.isEmpty { body["system"] = .string(system.joined(separator: "\n\n")) }
        return body
    }

    public func generate(_ request: GenerationRequest) async throws -> Generation {
        let answer = try await http.post(url, .object(body(request)))
        let text = (answer.objectValue?["content"]?.arrayValue ?? []).compactMap { block -> String? in
            guard block.objectValue?["type"]?.stringValue == "text" else { return nil }
            return block.objectValue?["text"]?.stringValue
        }.joined()
        return Generation(text: text, model: answer.objectValue?["model"]?.stringValue ?? model, usage: Self.usage(answer))
    }

    public func stream(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        var body = body(request)
        body["stream"] = true
        return generation(from: http.events(url, .object(body))) { event, usage, yield in
            guard let payload = (try? JSONValue(storedText: event.data))?.objectValue else { return true }
            switch payload["type"]?.stringValue {
            case "message_start":
                usage.prompt = payload["message"]?.objectValue?["usage"]?.objectValue?["input_tokens"]?.integerValue ?? 0
            case "content_block_delta":
                if let text = payload["delta"]?.objectValue?["text"]?.stringValue { yield(text) }
            case "message_delta":
                usage.completion = payload["usage"]?.objectValue?["output_tokens"]?.integerValue ?? usage.completion
            case "error":
                let message = payload["error"]?.objectValue?["message"]?.stringValue ?? "an error"
                throw OneError(.providerError, "Anthropic stopped with \(message)")
            default:
                break
            }
            return true
        }
    }

    public func generateObject(_ request: GenerationRequest, schema: StructuredSchema) async throws -> (object: JSONValue, usage: TokenUsage) {
        var body = body(request)
        body["tools"] = [["name": .string(schema.name), "description": "Record the result.", "input_schema": schema.schema]]
        body["tool_choice"] = ["type": "tool", "name": .string(schema.name)]
        let answer = try await http.post(url, .object(body))
        let input = (answer.objectValue?["content"]?.arrayValue ?? []).first { $0.objectValue?["type"]?.stringValue == "tool_use" }?
            .objectValue?["input"]
        guard let input else { throw OneError(.providerError, "Anthropic did not fill the \(schema.name) schema") }
        return (input, Self.usage(answer))
    }

    static func usage(_ answer: JSONValue) -> TokenUsage {
        let usage = answer.objectValue?["usage"]?.objectValue
        return TokenUsage(prompt: usage?["input_tokens"]?.integerValue ?? 0, completion: usage?["output_tokens"]?.integerValue ?? 0)
    }
}
