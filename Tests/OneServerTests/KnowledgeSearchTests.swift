import HTTPTypes
import OneCore
import Testing

/// Documents are chunked and embedded as they are written, and found by text, vector and
/// hybrid search, on both stores.
@Suite("Knowledge search")
struct KnowledgeSearchTests {
    static let bread = "Sourdough bread rises with a starter of wild yeast. Feed the starter flour and water every day."
    static let stars = "A neutron star forms when a massive star collapses. Its core is denser than an atomic nucleus."
    static let money = "An index fund spreads savings over many companies. Low fees compound into large gains over decades."

    @Test("documents are found by text, vector and hybrid search, narrowed by filters, and gone once deleted", arguments: TestStore.available)
    func searchModes(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let thing = try await server.makeThing(tenant)
            let bread = try await Self.ingest(api, tenant, Self.bread, title: "Baking", labels: ["kitchen"], source: thing)
            let stars = try await Self.ingest(api, tenant, Self.stars, title: "Stars")
            _ = try await Self.ingest(api, tenant, Self.money, title: "Saving")

            for mode in ["text", "vector", "hybrid"] {
                let found = try await Self.search(api, tenant, ["query": "how do I feed a sourdough starter", "mode": .string(mode)])
                #expect(found["mode"] == .string(mode))
                let first = try #require(found.records.first, "\(mode) found nothing")
                #expect(first["documentId"] == .string(bread), "\(mode)")
                #expect(first["sourceThingId"] == .string(thing))
                #expect(first["metadata"]?["title"] == "Baking")
                #expect(first["metadata"]?["chunkIndex"] == 0)
                #expect((first["score"]?.doubleValue ?? 0) > 0)
                #expect(found["count"] == .integer(Int64(found.records.count)))
            }
            // Hybrid is the default mode, five the default limit; the embedder is named.
            let plain = try await Self.search(api, tenant, ["query": "neutron star core"])
            #expect(plain["mode"] == "hybrid")
            #expect(plain["embedder"] == "lexical-hash-v1")
            #expect(plain.records.first?["documentId"] == .string(stars))

            // Filters narrow every mode.
            for mode in ["text", "vector", "hybrid"] {
                let filtered: [String: JSONValue] = ["query": "star", "mode": .string(mode), "filters": ["documentId": .string(bread)]]
                #expect(try await Self.search(api, tenant, filtered).records.allSatisfy { $0["documentId"] == .string(bread) })
                let labelled: [String: JSONValue] = ["query": "star yeast fund", "mode": .string(mode), "filters": ["labels": ["kitchen"]]]
                #expect(try await Self.search(api, tenant, labelled).records.map { $0["documentId"] } == [.string(bread)])
                let sourced: [String: JSONValue] = ["query": "star yeast fund", "mode": .string(mode), "filters": ["sourceThingId": .string(thing)]]
                #expect(try await Self.search(api, tenant, sourced).records.map { $0["documentId"] } == [.string(bread)])
            }

            // A deleted document's chunks leave every mode at once.
            try await api.delete("/api/knowledge/\(bread)", key: tenant.key).expect(.ok)
            for mode in ["text", "vector", "hybrid"] {
                let found = try await Self.search(api, tenant, ["query": "sourdough starter yeast", "mode": .string(mode)])
                #expect(!found.records.contains { $0["documentId"] == .string(bread) }, "\(mode)")
            }
        }
    }

    @Test("bad searches get a clear error and change nothing; customers may not search", arguments: TestStore.available)
    func badInput(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            _ = try await Self.ingest(api, tenant, Self.bread, title: "Baking")
            try await server.expectUnchanged(tenant.groupId) {
                let cases: [(JSONValue, String)] = [
                    ([:], "query"), (["query": ""], "query"), (["query": 5], "query"),
                    (["query": "x", "limit": 0], "limit"), (["query": "x", "limit": 51], "limit"),
                    (["query": "x", "mode": "fuzzy"], "mode"), (["query": "x", "filters": ["tags": ["a"]]], "filters.tags"),
                    (["query": "x", "filters": ["labels": "kitchen"]], "filters.labels"),
                    (["query": "x", "filters": ["labels": .array((0...20).map { .string("l\($0)") })]], "filters.labels"), (["query": "x", "vector": [1, 2]], "vector"),
                    (["query": .string(String(repeating: "a", count: 2_001))], "query"),
                ]
                for (body, field) in cases {
                    try await api.post("/api/knowledge/search", key: tenant.key, body: body).expectError(.badRequest, "VALIDATION_ERROR", field: field)
                }
                try await api.post("/api/knowledge/search", key: tenant.key, body: ["query": "x", "filters": ["documentId": "thg_1"]])
                    .expectError(.badRequest, "INVALID_ID", field: "filters.documentId")
                try await api.post("/api/knowledge", key: tenant.key, body: ["type": "document", "text": " ... \n\n "])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "text")
                // Metadata the server writes on documents and chunks: a chunk may not claim a document.
                for key in ["documentId", "chunkIndex", "chunks", "ingest", "embedder"] {
                    try await api.post("/api/knowledge", key: tenant.key, body: ["type": "chunk", "text": "rye", "metadata": [key: "x"]])
                        .expectError(.badRequest, "VALIDATION_ERROR", field: "metadata.\(key)")
                }
                try await api.post("/api/knowledge", key: tenant.key, body: ["type": "chunk", "text": "rye", "labels": ["kitchen", "  "]])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "labels")
            }
            // A query with nothing to embed or match has no neighbours, rather than every chunk at 0.
            for mode in ["vector", "text", "hybrid"] {
                let found = try await api.post("/api/knowledge/search", key: tenant.key, body: ["query": "!!! ???", "mode": .string(mode)]).okJSON
                #expect(found["results"]?.arrayValue?.isEmpty == true, "\(mode)")
            }
            let customer = try await server.makeKey(in: tenant.groupId, role: .customer)
            try await api.post("/api/knowledge/search", key: customer.key, body: ["query": "bread"]).expectError(.forbidden, "FORBIDDEN")
            try await api.post("/api/knowledge/search", key: nil, body: ["query": "bread"]).expectError(.unauthorized, "UNAUTHENTICATED")
        }
    }

    @Test("a group's search never returns another group's chunks, nested or not", arguments: TestStore.available)
    func isolation(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let parent = try await server.makeTenant()
            let child = try await server.makeTenant(parent: parent.groupId)
            let stranger = try await server.makeTenant()
            var mine: [String: String] = [:]
            for tenant in [parent, child, stranger] {
                mine[tenant.groupId] = try await Self.ingest(api, tenant, Self.bread, title: "Same text everywhere")
            }
            for tenant in [parent, child, stranger] {
                for mode in ["text", "vector", "hybrid"] {
                    let found = try await Self.search(api, tenant, ["query": "sourdough starter", "mode": .string(mode), "limit": 50])
                    #expect(!found.records.isEmpty)
                    #expect(found.records.allSatisfy { $0["documentId"] == .string(mine[tenant.groupId] ?? "") }, "\(mode)")
                }
            }
            // The parent's owner reaches the child's knowledge by X-Group-Id, and only it there.
            let inChild = try await api.post(
                "/api/knowledge/search", key: parent.key, group: child.groupId, body: ["query": "sourdough"]).expect(.ok)
            #expect(inChild.records.allSatisfy { $0["documentId"] == .string(mine[child.groupId] ?? "") })
            // Others are told the group does not exist.
            try await api.post("/api/knowledge/search", key: stranger.key, group: parent.groupId, body: ["query": "sourdough"])
                .expectError(.notFound, "NOT_FOUND")
            try await api.post("/api/knowledge/search", key: child.key, group: parent.groupId, body: ["query": "sourdough"])
                .expectError(.notFound, "NOT_FOUND")
        }
    }

    @Test("another tenant's chunks never move a group's text scores", arguments: TestStore.available)
    func tenantStatistics(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let mine = try await server.makeTenant()
            let other = try await server.makeTenant()
            _ = try await Self.ingest(api, mine, Self.bread, title: "Baking")
            _ = try await Self.ingest(api, mine, Self.stars, title: "Stars")
            let before = try await Self.search(api, mine, ["query": "sourdough starter", "mode": "text"]).records.map(\.["score"])
            #expect(!before.isEmpty)
            // With statistics shared between tenants, these would make "sourdough" common and
            // lower my score: one tenant could learn the other's words from its own scores.
            for index in 0..<5 {
                _ = try await Self.ingest(api, other, "Sourdough starter number \(index). " + Self.bread, title: "Theirs \(index)")
            }
            let after = try await Self.search(api, mine, ["query": "sourdough starter", "mode": "text"]).records.map(\.["score"])
            #expect(after == before)
            let theirs = try await Self.search(api, other, ["query": "sourdough starter", "mode": "text", "limit": 50])
            #expect(theirs.records.count == 5)
        }
    }

    @Test(
        "searches at once each see every write committed before they asked, and all finish",
        // Seconds alone; far longer while the whole suite shares two cores. The limit is for a hang.
        .timeLimit(.minutes(5)), arguments: TestStore.available)
    func concurrentSearchesSeeTheirWrites(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            _ = try await Self.ingest(api, tenant, Self.bread, title: "Baking")
            // Writers that search for what they just wrote, among readers searching all along:
            // catch-ups overlap, and none may hand a writer an index read before its write.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<3 {
                    group.addTask {
                        for round in 0..<4 {
                            let word = "zq\(writer)x\(round)"
                            _ = try await Self.ingest(api, tenant, "A note about \(word) and bread.", title: word)
                            for mode in ["text", "hybrid"] {
                                let found = try await Self.search(api, tenant, ["query": .string(word), "mode": .string(mode)])
                                #expect(found.records.first?["metadata"]?["title"] == .string(word), "\(mode) found \(word) just written")
                            }
                        }
                    }
                }
                for _ in 0..<3 {
                    group.addTask {
                        for _ in 0..<12 { _ = try await Self.search(api, tenant, ["query": "sourdough starter"]) }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test("a long document is written in steps with its progress, and a failure part way leaves nothing live", arguments: TestStore.available)
    func longDocuments(store: TestStore) async throws {
        try await TestServer.run(store, chunker: Chunker(maxTokens: 12, overlapTokens: 4)) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let text = (1...100).map { "Sentence number \($0) talks about topic \($0 % 7)." }.joined(separator: " ")
            let document = try await api.post(
                "/api/knowledge", key: tenant.key, body: ["type": "document", "text": .string(text)]).expect(.created)
            let id = try #require(document["_id"]?.stringValue)
            let chunks = try #require(document["metadata"]?["chunks"]?.integerValue)
            #expect(chunks > OneService.ingestStep)
            let stored = try await api.get("/api/knowledge/\(id)", key: tenant.key).okJSON
            #expect(stored["metadata"]?["ingest"] == ["status": "ready", "chunks": .integer(Int64(chunks)), "embedded": .integer(Int64(chunks))])
            let updates = try await api.get("/api/events?type=knowledge_updated&limit=100", key: tenant.key).okJSON
            #expect(updates.records.count == (chunks + OneService.ingestStep - 1) / OneService.ingestStep)
            let found = try await Self.search(api, tenant, ["query": "sentence number 99", "mode": "text"])
            #expect(found.records.first?["text"]?.stringValue?.contains("number 99") == true)

            // A quota that runs out in the second step: the request fails and nothing stays live.
            let limited = try await server.makeTenant(settings: ["limits": ["knowledge": 80]])
            try await api.post("/api/knowledge", key: limited.key, body: ["type": "document", "text": .string(text)])
                .expectError(.forbidden, "QUOTA_EXCEEDED")
            #expect(try await api.get("/api/knowledge?limit=100", key: limited.key).okJSON.records.isEmpty)
            let usage = try await api.get("/api/groups/\(limited.groupId)/usage", key: limited.key).expect(.ok)
            #expect(usage["own"]?["knowledge"] == 0)
            try await api.post("/api/knowledge/search", key: limited.key, body: ["query": "sentence"]).expect(.ok)
        }
    }

    @Test("indexes dropped past the memory budget are reloaded when searched, and answer the same")
    func eviction() async throws {
        // A budget of one byte: every search of one group drops the other's index.
        try await TestServer.run(chunkIndexes: ChunkIndexes(memoryBudget: 1)) { server in
            let api = server.api
            let first = try await server.makeTenant()
            let second = try await server.makeTenant()
            let bread = try await Self.ingest(api, first, Self.bread, title: "Baking")
            let stars = try await Self.ingest(api, second, Self.stars, title: "Stars")
            for _ in 0..<3 {
                let inFirst = try await Self.search(api, first, ["query": "sourdough starter", "mode": "vector"])
                #expect(inFirst.records.first?["documentId"] == .string(bread))
                let inSecond = try await Self.search(api, second, ["query": "neutron star", "mode": "vector"])
                #expect(inSecond.records.first?["documentId"] == .string(stars))
            }
            // A chunk written while its group's index was dropped is found after the reload.
            let more = try await Self.ingest(api, first, Self.money, title: "Saving")
            _ = try await Self.search(api, second, ["query": "neutron", "mode": "vector"])
            let found = try await Self.search(api, first, ["query": "index fund fees", "mode": "vector"])
            #expect(found.records.first?["documentId"] == .string(more))
        }
    }

    static func ingest(
        _ api: API, _ tenant: Credentials, _ text: String, title: String, labels: [String] = [], source: String? = nil
    ) async throws -> String {
        var body: [String: JSONValue] = [
            "type": "document", "text": .string(text), "metadata": ["title": .string(title)], "labels": JSONValue(labels),
        ]
        if let source { body["sourceThingId"] = .string(source) }
        let document = try await api.post("/api/knowledge", key: tenant.key, body: .object(body)).expect(.created)
        return try #require(document["_id"]?.stringValue)
    }

    static func search(_ api: API, _ tenant: Credentials, _ body: [String: JSONValue]) async throws -> JSONValue {
        try await api.post("/api/knowledge/search", key: tenant.key, body: .object(body)).expect(.ok)
    }
}

extension JSONValue {
    /// The records of a list or search answer.
    var records: [JSONValue] { self["results"]?.arrayValue ?? [] }
}
