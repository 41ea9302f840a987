import HTTPTypes
import OneCore
import Testing

/// After a change of embedder, `POST /api/knowledge/reembed` gives the group's older chunks
/// vectors of the new model, in bounded calls, so vector search finds them again.
@Suite("Re-embedding knowledge")
struct ReembedTests {
    typealias Search = KnowledgeSearchTests

    @Test("after a change of embedder, old chunks are found by text only until re-embedded, in bounded calls, by owners only; other groups keep theirs", arguments: TestStore.available)
    func reembed(store: TestStore) async throws {
        let embedder = SwitchableEmbedder()
        try await TestServer.run(store, embedder: embedder) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let other = try await server.makeTenant()
            let bread = try await Search.ingest(api, tenant, Search.bread, title: "Baking")
            _ = try await Search.ingest(api, tenant, Search.stars, title: "Stars")
            _ = try await Search.ingest(api, tenant, Search.money, title: "Saving")
            _ = try await Search.ingest(api, other, Search.bread, title: "Theirs")
            let query: [String: JSONValue] = ["query": "how do I feed a sourdough starter", "mode": "vector"]
            #expect(try await Search.search(api, tenant, query).records.first?["documentId"] == .string(bread))

            embedder.switchModel(to: SwitchableEmbedder.second)
            #expect(try await Search.search(api, tenant, query).records.isEmpty, "no chunk has a vector of the new model")
            #expect(try await Search.search(api, tenant, ["query": "sourdough starter", "mode": "text"]).records.first?["documentId"] == .string(bread))

            // Refused, changing nothing: a bad limit, an unknown field, a role that may not update knowledge.
            let user = try await server.makeKey(in: tenant.groupId, role: .groupUser)
            try await server.expectUnchanged(tenant.groupId) {
                for body: JSONValue in [["limit": 0], ["limit": 2_001], ["limit": "ten"]] {
                    try await api.post("/api/knowledge/reembed", key: tenant.key, body: body).expectError(.badRequest, "VALIDATION_ERROR", field: "limit")
                }
                try await api.post("/api/knowledge/reembed", key: tenant.key, body: ["everything": true])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "everything")
                try await api.post("/api/knowledge/reembed", key: user.key, body: [:]).expectError(.forbidden, "FORBIDDEN")
                // Not in an atomic batch: the store would be held while the embedder runs.
                let batch = try await api.post(
                    "/api/batch", key: tenant.key,
                    body: ["operations": [["method": "POST", "path": "/api/knowledge/reembed", "body": [:]]], "atomic": true])
                batch.expectError(.badRequest, "VALIDATION_ERROR")
                #expect(batch["failedOperation"]?["body"]?["field"] == "path")
            }

            // One chunk a call, then the rest; then nothing is left.
            let first = try await api.post("/api/knowledge/reembed", key: tenant.key, body: ["limit": 1]).expect(.ok)
            #expect(first["reembedded"] == 1)
            #expect(first["model"] == .string(SwitchableEmbedder.second))
            let total = try #require(first["remaining"]?.integerValue) + 1
            #expect(total >= 3, "each document has a chunk")
            let rest = try await api.post("/api/knowledge/reembed", key: tenant.key, body: [:]).expect(.ok)
            #expect(rest["reembedded"] == .integer(Int64(total - 1)))
            #expect(rest["remaining"] == 0)
            let again = try await api.post("/api/knowledge/reembed", key: tenant.key, body: [:]).expect(.ok)
            #expect(again["reembedded"] == 0 && again["remaining"] == 0)

            // Found by meaning again, by the new model; each chunk's change is in the log.
            let found = try await Search.search(api, tenant, query)
            #expect(found.records.first?["documentId"] == .string(bread))
            #expect(found["embedder"] == .string(SwitchableEmbedder.second))
            let events = try await api.get("/api/events?type=knowledge_updated&limit=100", key: tenant.key).okJSON.records
            #expect(events.count == total)
            #expect(events.allSatisfy { $0["metadata"]?["embedder"] == .string(SwitchableEmbedder.second) })

            // The other group's chunks were not touched: its vector search still finds nothing.
            let theirs = try await Search.search(api, other, query)
            #expect(theirs.records.isEmpty)
            let theirReembed = try await api.post("/api/knowledge/reembed", key: other.key, body: ["limit": 1]).expect(.ok)
            #expect(theirReembed["reembedded"] == 1)
        }
    }

    @Test("re-embeds running at once share the work: each chunk is re-embedded and logged once", arguments: TestStore.available)
    func concurrentReembeds(store: TestStore) async throws {
        let embedder = SwitchableEmbedder()
        try await TestServer.run(store, embedder: embedder) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            for (index, text) in [Search.bread, Search.stars, Search.money, Search.bread + " Rye too."].enumerated() {
                _ = try await Search.ingest(api, tenant, text, title: "Document \(index)")
            }
            embedder.switchModel(to: SwitchableEmbedder.second)
            let answers = try await withThrowingTaskGroup(of: JSONValue.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await api.post("/api/knowledge/reembed", key: tenant.key, body: [:]).expect(.ok) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let done = answers.compactMap { $0["reembedded"]?.integerValue }.reduce(0, +)
            let events = try await api.get("/api/events?type=knowledge_updated&limit=100", key: tenant.key).okJSON.records
            #expect(done == 4, "four chunks, one for each document")
            #expect(events.count == 4)
            #expect(Set(events.compactMap { $0["targetId"]?.stringValue }).count == 4)
            let after = try await api.post("/api/knowledge/reembed", key: tenant.key, body: [:]).expect(.ok)
            #expect(after["remaining"] == 0 && after["reembedded"] == 0)
        }
    }
}
