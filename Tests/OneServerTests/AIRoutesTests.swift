import HTTPTypes
import OneCore
import OneProviders
import Testing

/// `/api/ai` with the offline defaults: the lexical embedder and the extractive generator.
@Suite("AI routes")
struct AIRoutesTests {
    @Test("embed, generate with and without context, stream, chat and extract, each logged with its tokens", arguments: TestStore.available)
    func routes(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            _ = try await KnowledgeSearchTests.ingest(api, tenant, KnowledgeSearchTests.bread, title: "Baking")
            _ = try await KnowledgeSearchTests.ingest(api, tenant, KnowledgeSearchTests.stars, title: "Stars")

            let embedded = try await api.post("/api/ai/embed", key: tenant.key, body: ["texts": ["bread", "stars"]]).expect(.ok)
            let vectors = embedded["embeddings"]?.arrayValue ?? []
            #expect(vectors.count == 2)
            #expect(vectors.allSatisfy { $0.arrayValue?.count == 384 })
            #expect(embedded["dimensions"] == 384)
            #expect(try await api.post("/api/knowledge/embed", key: tenant.key, body: ["texts": ["bread"]]).expect(.ok)["model"] == "lexical-hash-v1")

            let answer = try await api.post(
                "/api/ai/generate", key: tenant.key, body: ["prompt": "How often do I feed the starter?", "context": true]).expect(.ok)
            #expect(answer["model"] == "local-extractive-v1")
            #expect(answer["text"]?.stringValue?.contains("Feed the starter flour and water every day. [1]") == true)
            let sources = answer["sources"]?.arrayValue ?? []
            #expect(sources.first?["title"] == "Baking")
            #expect((answer["tokens"]?.integerValue ?? 0) > 0)
            let bare = try await api.post("/api/ai/generate", key: tenant.key, body: ["prompt": "Write a poem"]).expect(.ok)
            #expect(bare["sources"] == nil)
            #expect(bare["text"]?.stringValue?.contains("context: true") == true)

            let stream = try await api.post("/api/ai/stream", key: tenant.key, body: ["prompt": "neutron star core", "context": true])
            #expect(stream.status == .ok)
            #expect(stream.headers[.contentType]?.hasPrefix("text/event-stream") == true)
            let lines = stream.text.split(separator: "\n").filter { $0.hasPrefix("data: ") }
            let events = try lines.map { try JSONValue(storedText: String($0.dropFirst(6))) }
            let text = events.compactMap { $0["delta"]?.stringValue }.joined()
            #expect(text.contains("neutron star forms"))
            #expect(events.last?["done"] == true)
            #expect(events.last?["sources"]?.arrayValue?.isEmpty == false)

            let first = try await api.post("/api/ai/chat", key: tenant.key, body: ["message": "What does sourdough rise with?"]).expect(.ok)
            let conversation = try #require(first["conversationId"]?.stringValue)
            #expect(first["reply"]?.stringValue?.contains("wild yeast") == true)
            let second = try await api.post(
                "/api/ai/chat", key: tenant.key, body: ["conversationId": .string(conversation), "message": "And what is a neutron star?"]
            ).expect(.ok)
            #expect(second["conversationId"] == .string(conversation))
            let messages = try await api.get("/api/connections?toId=\(conversation)&type=part_of", key: tenant.key).okJSON.records
            #expect(messages.count == 4)
            let stored = try await api.get("/api/things/\(second["replyId"]?.stringValue ?? "")", key: tenant.key).okJSON
            #expect(stored["properties"]?["role"] == "assistant")

            let source = try await server.makeThing(tenant, type: "blog_post", name: "Post")
            let extracted = try await api.post(
                "/api/ai/extract", key: tenant.key,
                body: ["text": "Dr Ada Lovelace met Charles Babbage in London. The Royal Society held a Science Festival.", "sourceThingId": .string(source)]
            ).expect(.created)
            let names = Set((extracted["entities"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
            #expect(names.isSuperset(of: ["Ada Lovelace", "Charles Babbage", "London"]))
            let entities = extracted["entities"]?.arrayValue ?? []
            let london = try #require(entities.first(where: { $0["name"] == "London" }))
            let londonType = london["type"]
            let londonKind = london["properties"]?["entityType"]
            #expect(londonType == "entity")
            #expect(londonKind == "location")
            #expect(extracted["connections"]?.arrayValue?.count == names.count)
            #expect(extracted["connections"]?.arrayValue?.allSatisfy { $0["type"] == "references" && $0["fromId"] == .string(source) } == true)

            let logged = try await api.get("/api/events?limit=100", key: tenant.key).okJSON.records
            let usage = logged.filter { ["ai_response_generated", "text_embedded", "entities_extracted"].contains($0["type"]?.stringValue ?? "") }
            #expect(usage.count == 8)
            #expect(usage.allSatisfy { ($0["metadata"]?["tokens"]?.integerValue ?? -1) >= 0 && $0["metadata"]?["model"] != nil })
        }
    }

    @Test("the aiTokens limit refuses what it cannot cover; bad input and forbidden roles change nothing", arguments: TestStore.available)
    func limitsAndInput(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant(settings: ["limits": ["aiTokens": 60]])
            _ = try await api.post("/api/ai/embed", key: tenant.key, body: ["texts": ["one two three"]]).expect(.ok)
            let customer = try await server.makeKey(in: tenant.groupId, role: .customer)
            let course = try await server.makeThing(tenant)
            try await server.expectUnchanged(tenant.groupId) {
                try await api.post("/api/ai/embed", key: tenant.key, body: ["texts": [.string(String(repeating: "word ", count: 100))]])
                    .expectError(.forbidden, "QUOTA_EXCEEDED", field: "settings.limits.aiTokens")
                try await api.post("/api/ai/generate", key: tenant.key, body: ["prompt": .string(String(repeating: "word ", count: 100))])
                    .expectError(.forbidden, "QUOTA_EXCEEDED")
                let cases: [(String, JSONValue, String)] = [
                    ("/api/ai/embed", [:], "texts"), ("/api/ai/embed", ["texts": []], "texts"), ("/api/ai/embed", ["texts": [""]], "texts[0]"),
                    ("/api/ai/generate", [:], "prompt"), ("/api/ai/generate", ["prompt": "x", "maxTokens": 0], "maxTokens"),
                    ("/api/ai/generate", ["prompt": "x", "context": true, "limit": 21], "limit"),
                    ("/api/ai/generate", ["prompt": "x", "temperature": 2], "temperature"), ("/api/ai/stream", ["prompt": ""], "prompt"),
                    ("/api/ai/chat", ["message": ""], "message"), ("/api/ai/chat", ["message": "x", "conversationId": "nope"], "conversationId"),
                    ("/api/ai/extract", ["text": "Ada", "types": []], "types"),
                    ("/api/ai/extract", ["text": "Ada", "types": .array((0...20).map { .string("t\($0)") })], "types"),
                    ("/api/ai/generate", ["prompt": "x", "maxTokens": 4_097], "maxTokens"),
                    ("/api/ai/embed", ["texts": .array((0...100).map { _ in "x" })], "texts"),
                    ("/api/ai/embed", ["texts": ["x", .string(String(repeating: "a", count: 8_001))]], "texts[1]"),
                    ("/api/ai/embed", ["texts": ["x", "   "]], "texts[1]"),
                    ("/api/ai/chat", ["message": "x", "limit": 21], "limit"),
                    ("/api/ai/extract", ["text": "Ada", "types": ["person", " "]], "types"),
                ]
                for (path, body, field) in cases {
                    let reply = try await api.post(path, key: tenant.key, body: body)
                    #expect(reply.status == .badRequest, "\(path) \(body)")
                    #expect(reply["field"]?.stringValue == field, "\(path) \(body)")
                }
                try await api.post("/api/ai/chat", key: tenant.key, body: ["message": "x", "conversationId": "thg_00000000000000000000000000"])
                    .expectError(.notFound, "NOT_FOUND", field: "conversationId")
                // A thing that is not a conversation is not one either.
                try await api.post("/api/ai/chat", key: tenant.key, body: ["message": "x", "conversationId": .string(course)])
                    .expectError(.notFound, "NOT_FOUND", field: "conversationId")
                try await api.post("/api/ai/extract", key: tenant.key, body: ["text": "Ada Lovelace", "sourceThingId": "thg_00000000000000000000000000"])
                    .expectError(.notFound, "NOT_FOUND", field: "sourceThingId")
                for path in ["/api/ai/embed", "/api/ai/generate", "/api/ai/chat", "/api/ai/extract"] {
                    try await api.post(path, key: customer.key, body: ["texts": ["x"], "prompt": "x", "message": "x", "text": "x"].filtered(for: path))
                        .expectError(.forbidden, "FORBIDDEN")
                }
            }
            let used = try await api.get("/api/events?type=text_embedded", key: tenant.key).okJSON.records
            #expect(used.count == 1)
        }
    }

    @Test("a limit on a group bounds the AI use of the groups below it, as every quota does", arguments: TestStore.available)
    func limitAbove(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let parent = try await server.makeTenant(settings: ["limits": ["aiTokens": 60]])
            // The child has no limit of its own: its owner cannot lift the parent's by making one.
            let child = try await server.makeTenant(parent: parent.groupId)
            try await api.post("/api/ai/embed", key: child.key, body: ["texts": [.string(String(repeating: "word ", count: 40))]]).expect(.ok)
            try await server.expectUnchanged(child.groupId) {
                try await api.post("/api/ai/embed", key: child.key, body: ["texts": [.string(String(repeating: "word ", count: 40))]])
                    .expectError(.forbidden, "QUOTA_EXCEEDED", field: "settings.limits.aiTokens")
            }
            // The parent's own use draws on the same budget its child spent.
            try await api.post("/api/ai/embed", key: parent.key, body: ["texts": [.string(String(repeating: "word ", count: 40))]])
                .expectError(.forbidden, "QUOTA_EXCEEDED", field: "settings.limits.aiTokens")
        }
    }

    @Test("a group inside an archived group is refused before any provider is called, and nothing is written", arguments: TestStore.available)
    func archived(store: TestStore) async throws {
        let provider = FakeModelProvider()
        try await provider.run { base in
            let configuration = ProviderTests.openAI(base)
            try await TestServer.run(
                store, embedder: OpenAIEmbedder(configuration: configuration), generator: OpenAIGenerator(configuration: configuration)
            ) { server in
                let api = server.api
                let parent = try await server.makeTenant()
                let child = try await server.makeTenant(parent: parent.groupId)
                try await api.delete("/api/groups/\(parent.groupId)", key: server.platform.key).expect(.ok)
                try await server.expectUnchanged(child.groupId) {
                    try await api.post("/api/ai/generate", key: child.key, body: ["prompt": "hello"]).expectError(.conflict, "GROUP_ARCHIVED")
                    try await api.post("/api/ai/stream", key: child.key, body: ["prompt": "hello"]).expectError(.conflict, "GROUP_ARCHIVED")
                    try await api.post("/api/ai/embed", key: child.key, body: ["texts": ["hello"]]).expectError(.conflict, "GROUP_ARCHIVED")
                    // Retrieval would embed the question: refused before it.
                    try await api.post("/api/ai/generate", key: child.key, body: ["prompt": "hello", "context": true])
                        .expectError(.conflict, "GROUP_ARCHIVED")
                    try await api.post("/api/ai/chat", key: child.key, body: ["message": "hello"]).expectError(.conflict, "GROUP_ARCHIVED")
                    try await api.post("/api/knowledge", key: child.key, body: ["type": "chunk", "text": "hello"])
                        .expectError(.conflict, "GROUP_ARCHIVED")
                    try await api.post("/api/knowledge", key: child.key, body: ["type": "document", "text": "hello there"])
                        .expectError(.conflict, "GROUP_ARCHIVED")
                    try await api.post("/api/knowledge/reembed", key: child.key, body: [:]).expectError(.conflict, "GROUP_ARCHIVED")
                }
                #expect(await provider.received.isEmpty, "the provider is never called for a request that cannot be recorded")
            }
        }
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// The one member each AI route takes as its text.
    func filtered(for path: String) -> JSONValue {
        let member = ["/api/ai/embed": "texts", "/api/ai/generate": "prompt", "/api/ai/chat": "message", "/api/ai/extract": "text"][path] ?? ""
        return .object(filter { $0.key == member })
    }
}
