import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OneCore
import Testing

/// Several stateless `one serve` nodes on one PostgreSQL database, as behind a load balancer.
@Suite("Several API nodes on PostgreSQL", .enabled(if: TestStore.postgresAdminURL != nil, "ONE_TEST_DATABASE_URL is not set: PostgreSQL runs are skipped"))
struct MultiNodeTests {
    @Test("two nodes started together on an empty database migrate and bootstrap exactly once")
    func startTogether() async throws {
        try await PostgresTestDatabase.withFreshDatabase { url in
            let outputs = [Pipe(), Pipe()]
            let nodes = try outputs.map { try OneProcess.serve(database: url, output: $0) }
            defer { for node in nodes { node.process.terminate(); node.process.waitUntilExit() } }
            for node in nodes { try await OneProcess.waitForHealth(port: node.port) }
            for node in nodes { node.process.terminate(); node.process.waitUntilExit() }
            let printed = outputs.map { String(decoding: $0.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
            let keys = printed.flatMap { $0.split(whereSeparator: \.isWhitespace).filter { $0.hasPrefix("gsk_") } }
            #expect(keys.count == 1, "exactly one node bootstraps: \(printed)")
        }
    }

    @Test("a write through node A is read through node B; keys and revocations are seen on both at once")
    func sharedState() async throws {
        try await PostgresTestDatabase.withFreshDatabase { url in
            let initialised = try JSONValue(jsonText: try OneProcess.run(["init", "--database", url, "--json"]).output)
            let platformKey = try #require(initialised["apiKey"]?.stringValue)
            let a = try OneProcess.serve(database: url)
            let b = try OneProcess.serve(database: url)
            defer { for node in [a, b] { node.process.terminate(); node.process.waitUntilExit() } }
            try await OneProcess.waitForHealth(port: a.port)
            try await OneProcess.waitForHealth(port: b.port)

            let created = try await OneProcess.request(port: a.port, "POST", "/api/things", key: platformKey, body: ["type": "course", "name": "written on A"])
            #expect(created.status == 201)
            let id = try #require(created.json["_id"]?.stringValue)
            let read = try await OneProcess.request(port: b.port, "GET", "/api/things/\(id)", key: platformKey)
            #expect(read.status == 200)
            #expect(read.json == created.json)

            let key = try await OneProcess.request(port: a.port, "POST", "/api/keys", key: platformKey, body: ["name": "made on A", "role": "group_user"])
            #expect(key.status == 201)
            let secret = try #require(key.json["key"]?.stringValue)
            let keyId = try #require(key.json["_id"]?.stringValue)
            #expect(try await OneProcess.request(port: b.port, "GET", "/api/things", key: secret).status == 200)
            #expect(try await OneProcess.request(port: a.port, "GET", "/api/things", key: secret).status == 200)

            #expect(try await OneProcess.request(port: b.port, "DELETE", "/api/keys/\(keyId)", key: platformKey).status == 200)
            #expect(try await OneProcess.request(port: a.port, "GET", "/api/things", key: secret).status == 401, "node A sees B's revocation at once")
            #expect(try await OneProcess.request(port: b.port, "GET", "/api/things", key: secret).status == 401)

            // Events written through both nodes share one sequence.
            _ = try await OneProcess.request(port: b.port, "POST", "/api/events", key: platformKey, body: ["type": "dashboard_viewed"])
            let events = try await OneProcess.request(port: a.port, "GET", "/api/events?limit=100", key: platformKey)
            guard case .array(let items)? = events.json["results"] else {
                Issue.record("no events listed: \(events.json.jsonText())")
                return
            }
            let sequences = items.compactMap { $0["sequence"]?.integerValue }
            #expect(sequences == Array(1...sequences.count))
            #expect(sequences.count >= 7)
        }
    }

    @Test("a node's vector index follows the log: chunks written and deleted through node A are found and then gone on node B")
    func vectorIndexFollowsTheLog() async throws {
        try await PostgresTestDatabase.withFreshDatabase { url in
            let initialised = try JSONValue(jsonText: try OneProcess.run(["init", "--database", url, "--json"]).output)
            let key = try #require(initialised["apiKey"]?.stringValue)
            let a = try OneProcess.serve(database: url, extra: ["--embedder", "lexical"])
            let b = try OneProcess.serve(database: url, extra: ["--embedder", "lexical"])
            defer { for node in [a, b] { node.process.terminate(); node.process.waitUntilExit() } }
            try await OneProcess.waitForHealth(port: a.port)
            try await OneProcess.waitForHealth(port: b.port)
            let search: JSONValue = ["query": "sourdough starter", "mode": "vector"]
            // B loads its (empty) index first, so what follows must reach it through the log.
            let before = try await OneProcess.request(port: b.port, "POST", "/api/knowledge/search", key: key, body: search)
            #expect(before.status == 200)
            #expect(before.json["count"] == 0)

            let document = try await OneProcess.request(
                port: a.port, "POST", "/api/knowledge", key: key,
                body: ["type": "document", "text": "Sourdough bread rises with a starter of wild yeast."])
            #expect(document.status == 201)
            let id = try #require(document.json["_id"]?.stringValue)
            let found = try await OneProcess.request(port: b.port, "POST", "/api/knowledge/search", key: key, body: search)
            #expect(found.json["results"]?.arrayValue?.first?["documentId"] == .string(id))

            #expect(try await OneProcess.request(port: a.port, "DELETE", "/api/knowledge/\(id)", key: key).status == 200)
            let gone = try await OneProcess.request(port: b.port, "POST", "/api/knowledge/search", key: key, body: search)
            #expect(gone.json["count"] == 0)
        }
    }
}
