import AsyncHTTPClient
import Foundation
import HTTPTypes
import OneCore
import OneProviders
import Testing

/// The OpenAI-compatible and Anthropic providers against a local server speaking their wire
/// formats: what they send, what they read, and how they fail.
@Suite("Model providers")
struct ProviderTests {
    static func openAI(_ base: String, key: String? = "sk-test") -> OpenAIConfiguration {
        OpenAIConfiguration(baseURL: base + "/v1", apiKey: key, chatModel: "gpt-test", embeddingModel: "embed-test", embeddingDimensions: 8)
    }

    static func anthropic(_ base: String, key: String = "anthropic-key") -> AnthropicConfiguration {
        AnthropicConfiguration(baseURL: base, apiKey: key, model: "claude-test")
    }

    static let request = GenerationRequest(
        system: "Be brief.", messages: [ChatMessage(role: .user, content: "Why does bread rise?")], maxTokens: 64)

    @Test("OpenAI-compatible: embeddings placed by index and normalised; chat whole, streamed and structured")
    func openAIWire() async throws {
        let provider = FakeModelProvider()
        try await provider.run { base in
            let embedder = OpenAIEmbedder(configuration: Self.openAI(base))
            #expect(embedder.model == "openai:embed-test")
            let vectors = try await embedder.embed(["a", "b", "c"])
            #expect(vectors.map { $0.firstIndex(of: 1) } == [0, 1, 2])
            let embedRequest = try #require(await provider.received.last)
            #expect(embedRequest.path == "/v1/embeddings")
            #expect(embedRequest.headers["authorization"] == "Bearer sk-test")
            #expect(embedRequest.body == ["model": "embed-test", "input": ["a", "b", "c"]])

            let generator = OpenAIGenerator(configuration: Self.openAI(base))
            let whole = try await generator.generate(Self.request)
            #expect(whole == Generation(text: FakeModelProvider.reply, model: "gpt-test", usage: TokenUsage(prompt: 40, completion: 9)))
            let chat = try #require(await provider.received.last).body
            #expect(chat["messages"] == [["role": "system", "content": "Be brief."], ["role": "user", "content": "Why does bread rise?"]])
            #expect(chat["max_tokens"] == 64)

            var deltas: [String] = []
            var usage: TokenUsage?
            for try await event in generator.stream(Self.request) {
                switch event {
                case .delta(let text): deltas.append(text)
                case .finished(let final): usage = final
                }
            }
            #expect(deltas == ["Bread rises ", "because yeast makes gas [1]."])
            #expect(usage == TokenUsage(prompt: 40, completion: 9))
            let streamed = try #require(await provider.received.last).body
            #expect(streamed["stream"] == true)
            #expect(streamed["stream_options"] == ["include_usage": true])

            // A 2xx that is not an event stream ends the stream with an error, rather than never.
            do {
                for try await _ in generator.stream(GenerationRequest(messages: [ChatMessage(role: .user, content: "nothing")])) {}
                Issue.record("a 204 answer to a streamed request ended without an error")
            } catch let error as OneError {
                #expect(error.code == .providerError)
                #expect(error.message.contains("204"))
            }

            let (object, _) = try await generator.generateObject(Self.request, schema: EntityExtraction.schema)
            #expect(object["entities"]?.arrayValue?.count == 3)
            let structured = try #require(await provider.received.last).body
            #expect(structured["response_format"]?["type"] == "json_schema")
            #expect(structured["response_format"]?["json_schema"]?["name"] == "entities")
        }
    }

    @Test("Anthropic Messages: headers, system apart, text, streamed deltas with usage, tool use, and refusals")
    func anthropicWire() async throws {
        let provider = FakeModelProvider()
        try await provider.run { base in
            let generator = AnthropicGenerator(configuration: Self.anthropic(base))
            let whole = try await generator.generate(Self.request)
            #expect(whole == Generation(text: FakeModelProvider.reply, model: "claude-test", usage: TokenUsage(prompt: 30, completion: 11)))
            let sent = try #require(await provider.received.last)
            #expect(sent.path == "/v1/messages")
            #expect(sent.headers["x-api-key"] == "anthropic-key")
            #expect(sent.headers["anthropic-version"] == "2023-06-01")
            #expect(sent.body["system"] == "Be brief.")
            #expect(sent.body["messages"] == [["role": "user", "content": "Why does bread rise?"]])
            #expect(sent.body["max_tokens"] == 64)

            var text = ""
            var usage: TokenUsage?
            for try await event in generator.stream(Self.request) {
                switch event {
                case .delta(let delta): text += delta
                case .finished(let final): usage = final
                }
            }
            #expect(text == FakeModelProvider.reply)
            #expect(usage == TokenUsage(prompt: 30, completion: 11))

            let (object, _) = try await generator.generateObject(Self.request, schema: EntityExtraction.schema)
            #expect(object["entities"]?.arrayValue?.first?["name"] == "Grace Hopper")
            let tools = try #require(await provider.received.last).body
            #expect(tools["tool_choice"] == ["type": "tool", "name": "entities"])

            let refused = AnthropicGenerator(configuration: Self.anthropic(base, key: "wrong"))
            let error = await #expect(throws: OneError.self) { try await refused.generate(Self.request) }
            #expect(error?.code == .providerError)
            #expect(error?.message.contains("401") == true)
            #expect(error?.message.contains("invalid x-api-key") == true)
            #expect(error?.message.contains("wrong") == false, "the key is never echoed")
        }
    }

    @Test("through the API: RAG answers, extraction and embedding by the providers; an unreachable provider is a 502")
    func endToEnd() async throws {
        let provider = FakeModelProvider()
        try await provider.run { base in
            let embedder = OpenAIEmbedder(configuration: Self.openAI(base))
            let generator = OpenAIGenerator(configuration: Self.openAI(base))
            try await TestServer.run(embedder: embedder, generator: generator) { server in
                let api = server.api
                let tenant = try await server.makeTenant()
                _ = try await api.post(
                    "/api/knowledge", key: tenant.key, body: ["type": "document", "text": "Yeast makes gas, so bread rises."]
                ).expect(.created)
                let answer = try await api.post(
                    "/api/ai/generate", key: tenant.key, body: ["prompt": "Why does bread rise?", "context": true]).expect(.ok)
                #expect(answer["text"] == .string(FakeModelProvider.reply))
                #expect(answer["model"] == "gpt-test")
                #expect(answer["tokens"] == 49)
                #expect(answer["sources"]?.arrayValue?.count == 1)
                // The passages reached the model in the system prompt, numbered for citation.
                let sent = try #require(await provider.received.last { $0.path == "/v1/chat/completions" })
                #expect(sent.body["messages"]?.arrayValue?.first?["content"]?.stringValue?.contains("[1] Yeast makes gas") == true)

                let extracted = try await api.post(
                    "/api/ai/extract", key: tenant.key, body: ["text": "Ada Lovelace lived in London."]).expect(.created)
                let entities = extracted["entities"]?.arrayValue ?? []
                #expect(entities.map { $0["name"] } == ["Ada Lovelace", "London"], "a type not asked for is dropped")
                #expect(entities.map { $0["properties"]?["entityType"] } == ["person", "location"])

                let embedded = try await api.post("/api/ai/embed", key: tenant.key, body: ["texts": ["x"]]).expect(.ok)
                #expect(embedded["model"] == "openai:embed-test")
                #expect(embedded["dimensions"] == 8)
            }
            // Nothing listens on the discard port: the answer comes at once, not at the deadline.
            let client = ProviderClient.make()
            let unreachable = OpenAIGenerator(configuration: Self.openAI("http://127.0.0.1:9"), client: client)
            try await TestServer.run(generator: unreachable) { server in
                let tenant = try await server.makeTenant()
                let started = ContinuousClock.now
                try await server.expectUnchanged(tenant.groupId) {
                    try await server.api.post("/api/ai/generate", key: tenant.key, body: ["prompt": "hi"]).expectError(.badGateway, "PROVIDER_ERROR")
                }
                #expect(ContinuousClock.now - started < .seconds(5))
            }
            try await client.shutdown()
        }
    }

    @Test("a client that leaves a stream stops the provider's generation")
    func streamCancelled() async throws {
        let provider = FakeModelProvider()
        try await provider.run { base in
            try await TestServer.run(generator: OpenAIGenerator(configuration: Self.openAI(base))) { server in
                let tenant = try await server.makeTenant()
                let connection = try RawConnection(port: server.port)
                let body = #"{"prompt":"slow"}"#
                connection.send(
                    "POST /api/ai/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: \(tenant.key)\r\n"
                        + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
                var received = ""
                for _ in 0..<40 where !received.contains("w2 ") {
                    received += await connection.read(limit: .milliseconds(100))
                }
                #expect(received.contains("text/event-stream"))
                #expect(received.contains(#"data: {"delta":"w0 "}"#))
                connection.hangUp()
                // The provider's response is abandoned well before its 100 pieces (5 s) are written.
                for _ in 0..<60 where !(await provider.slowStreamStopped) { try await Task.sleep(for: .milliseconds(50)) }
                #expect(await provider.slowStreamStopped)
                #expect(await provider.slowPiecesWritten < FakeModelProvider.slowPieces / 2)
                // What was used until then is charged and logged.
                var logged: [JSONValue] = []
                for _ in 0..<40 where logged.isEmpty {
                    logged = try await server.api.get("/api/events?type=ai_response_generated", key: tenant.key).okJSON.records
                    if logged.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(logged.first?["metadata"]?["streamed"] == true)
            }
        }
    }
}
