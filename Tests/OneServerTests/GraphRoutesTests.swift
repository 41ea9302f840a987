import HTTPTypes
import OneCore
import Testing

@Suite("Graph: person ends, graph reads, tags")
struct GraphRoutesTests {
    /// Invites a person into the tenant's group and returns the ID that group knows them by.
    static func invite(_ server: TestServer, _ tenant: Credentials, _ email: String) async throws -> String {
        let person = try await server.api.post("/api/people", key: tenant.key, body: ["email": .string(email), "role": "customer"])
            .expect(.created)
        return try #require(person["_id"]?.stringValue)
    }

    @Test("a person may be a connection's end where the ontology allows; removing them ends their connections", arguments: TestStore.available)
    func personEnds(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let other = try await server.makeTenant()
            let course = try await server.makeThing(tenant, type: "course", name: "Engines")
            let token = try await server.makeThing(tenant, type: "token", name: "ADA")
            let ada = try await Self.invite(server, tenant, "ada@example.com")
            let stranger = try await Self.invite(server, other, "eve@example.com")

            let enrolled = try await api.post(
                "/api/connections", key: tenant.key, body: ["fromId": .string(ada), "toId": .string(course), "type": "enrolled_in"]
            ).expect(.created)
            let holds = try await api.post(
                "/api/connections", key: tenant.key,
                body: ["fromId": .string(ada), "toId": .string(token), "type": "holds_tokens", "metadata": ["balance": 100]]
            ).expect(.created)
            let enrolledId = try #require(enrolled["_id"]?.stringValue)
            let holdsId = try #require(holds["_id"]?.stringValue)
            #expect(try await api.get("/api/connections/from/\(ada)", key: tenant.key).ids == [holdsId, enrolledId])
            #expect(try await api.get("/api/connections?fromId=\(ada)&type=enrolled_in", key: tenant.key).ids == [enrolledId])
            // Unrelated to the person: stays when they leave.
            let lesson = try await server.makeThing(tenant, type: "lesson", name: "Gears")
            let partOf = try #require(
                try await api.post("/api/connections", key: tenant.key, body: ["fromId": .string(lesson), "toId": .string(course), "type": "part_of"])
                    .expect(.created)["_id"]?.stringValue)

            try await server.expectUnchanged(tenant.groupId) {
                // The same rules as thing ends: no duplicates, same group, live, allowed kinds.
                try await api.post("/api/connections", key: tenant.key, body: ["fromId": .string(ada), "toId": .string(course), "type": "enrolled_in"])
                    .expectError(.conflict, "CONFLICT")
                try await api.post("/api/connections", key: tenant.key, body: ["fromId": .string(stranger), "toId": .string(course), "type": "enrolled_in"])
                    .expectError(.notFound, "NOT_FOUND", field: "fromId")
                try await api.post("/api/connections", key: tenant.key, body: ["fromId": .string(course), "toId": .string(ada), "type": "enrolled_in"])
                    .expectError(.badRequest, "INVALID_ID", field: "toId")
                try await api.post("/api/connections", key: tenant.key, body: ["fromId": .string(ada), "toId": .string(course), "type": "part_of"])
                    .expectError(.badRequest, "INVALID_ID", field: "fromId")
            }

            let before = try await server.lastSequence(in: tenant.groupId)
            try await api.delete("/api/people/\(ada)", key: tenant.key).expect(.ok)
            #expect(try await api.get("/api/connections?fromId=\(ada)", key: tenant.key).ids.isEmpty)
            #expect(try await api.get("/api/connections", key: tenant.key).ids == [partOf])
            let events = try await api.get("/api/events?limit=100", key: tenant.key).results.filter { ($0["sequence"]?.integerValue ?? 0) > Int(before) }
            let deleted = Set(events.filter { $0["type"] == "connection_deleted" }.compactMap { $0["targetId"]?.stringValue })
            #expect(deleted == [enrolledId, holdsId], "each ended connection has its event")
            let usage = try await api.get("/api/groups/\(tenant.groupId)/usage", key: tenant.key).expect(.ok)
            #expect(usage["own"]?.objectValue?["connections"] == 1, "the ended connections leave the quota")
        }
    }

    @Test("a depth-3 walk through a cycle returns each record once; a small limit truncates", arguments: TestStore.available)
    func graphWalk(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let owner = try await Self.invite(server, tenant, "owner@example.com")
            let a = try await server.makeThing(tenant, type: "course", name: "A")
            let b = try await server.makeThing(tenant, type: "lesson", name: "B")
            let c = try await server.makeThing(tenant, type: "lesson", name: "C")
            let d = try await server.makeThing(tenant, type: "video", name: "D")
            let far = try await server.makeThing(tenant, type: "quiz", name: "beyond depth 3")
            func connect(_ from: String, _ to: String, _ type: String) async throws -> String {
                try #require(
                    try await api.post("/api/connections", key: tenant.key, body: ["fromId": .string(from), "toId": .string(to), "type": .string(type)])
                        .expect(.created)["_id"]?.stringValue)
            }
            let owns = try await connect(owner, a, "owns")
            let ab = try await connect(a, b, "references")
            let bc = try await connect(b, c, "references")
            let ca = try await connect(c, a, "references")  // the cycle back to A
            let cd = try await connect(c, d, "references")
            _ = try await connect(d, far, "references")

            let graph = try await api.get("/api/graph/\(owner)?depth=3", key: tenant.key).expect(.ok)
            let nodes = (graph.objectValue?["nodes"]?.arrayValue ?? []).compactMap { $0.objectValue?["_id"]?.stringValue }
            let connections = (graph.objectValue?["connections"]?.arrayValue ?? []).compactMap { $0.objectValue?["_id"]?.stringValue }
            #expect(nodes == [owner, a, b, c], "breadth-first from the person, three hops")
            #expect(connections == [owns, ab, bc])
            #expect(graph.objectValue?["truncated"] == false)

            // From A the third hop closes the cycle: A is not visited again, its connection is listed once.
            let cycle = try await api.get("/api/graph/\(a)?depth=3", key: tenant.key).expect(.ok)
            let cycleNodes = (cycle.objectValue?["nodes"]?.arrayValue ?? []).compactMap { $0.objectValue?["_id"]?.stringValue }
            let cycleConnections = (cycle.objectValue?["connections"]?.arrayValue ?? []).compactMap { $0.objectValue?["_id"]?.stringValue }
            #expect(cycleNodes == [a, b, c, d], "each record once; \(far) lies a fourth hop away")
            #expect(cycleConnections.count == 4 && Set(cycleConnections) == [ab, bc, ca, cd])

            let both = try await api.get("/api/graph/\(c)?direction=both&depth=1&types=references", key: tenant.key).expect(.ok)
            let neighbours = Set((both.objectValue?["nodes"]?.arrayValue ?? []).compactMap { $0.objectValue?["_id"]?.stringValue })
            #expect(neighbours == [c, a, b, d])

            let small = try await api.get("/api/graph/\(a)?depth=3&limit=2", key: tenant.key).expect(.ok)
            #expect(small.objectValue?["nodes"]?.arrayValue?.count == 2)
            #expect(small.objectValue?["truncated"] == true)

            try await api.get("/api/graph/\(a)?depth=4", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "depth")
            try await api.get("/api/graph/\(a)?depth=deep", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "depth")
            try await api.get("/api/graph/\(a)?limit=0", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "limit")
            try await api.get("/api/graph/\(a)?limit=1001", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "limit")
            try await api.get("/api/graph/\(a)?direction=up", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "direction")
            try await api.get("/api/graph/\(a)?types=likes", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "type")
            try await api.get("/api/graph/grp_00000000000000000000000000", key: tenant.key).expectError(.badRequest, "INVALID_ID", field: "id")
            let other = try await server.makeTenant()
            try await api.get("/api/graph/\(a)", key: other.key).expectError(.notFound, "NOT_FOUND")
        }
    }

    @Test("tags are set and removed one by one, with events, and filter lists by key and key:value", arguments: TestStore.available)
    func tags(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let live = try await server.makeThing(tenant, type: "livestream", name: "Launch")
            let recorded = try await server.makeThing(tenant, type: "recording", name: "Launch replay")
            let plain = try await server.makeThing(tenant, type: "video", name: "Untagged")
            let tagged = try await api.request(.put, "/api/things/\(live)/tags/format", key: tenant.key, body: ["value": "live"]).expect(.ok)
            #expect(tagged["tags"] == ["format": "live"])
            try await api.request(.put, "/api/things/\(live)/tags/topic", key: tenant.key, body: ["value": "launch:day"]).expect(.ok)
            try await api.request(.put, "/api/things/\(recorded)/tags/format", key: tenant.key, body: ["value": "replay"]).expect(.ok)
            #expect(try await api.get("/api/things/\(live)", key: tenant.key).expect(.ok)["tags"] == ["format": "live", "topic": "launch:day"])

            #expect(Set(try await api.get("/api/things?tag=format", key: tenant.key).ids) == [live, recorded])
            #expect(try await api.get("/api/things?tag=format:live", key: tenant.key).ids == [live])
            #expect(try await api.get("/api/things?tag=topic:launch:day", key: tenant.key).ids == [live], "a value may hold colons")
            #expect(try await api.get("/api/things?tag=format&tag=topic", key: tenant.key).ids == [live], "every tag must hold")
            #expect(try await api.get("/api/things?tag=format:replay&tag=topic", key: tenant.key).ids.isEmpty)

            let sequence = try await server.lastSequence(in: tenant.groupId)
            try await api.request(.put, "/api/things/\(live)/tags/format", key: tenant.key, body: ["value": "live"]).expect(.ok)
            #expect(try await server.lastSequence(in: tenant.groupId) == sequence, "setting the same value writes nothing")

            try await api.delete("/api/things/\(live)/tags/format", key: tenant.key).expect(.ok)
            #expect(try await api.get("/api/things?tag=format", key: tenant.key).ids == [recorded])
            let history = try await api.get("/api/things/\(live)/events", key: tenant.key).results.compactMap { $0["type"]?.stringValue }
            #expect(history == ["thing_untagged", "thing_tagged", "thing_tagged", "thing_created"])

            try await server.expectUnchanged(tenant.groupId) {
                try await api.delete("/api/things/\(live)/tags/format", key: tenant.key).expectError(.notFound, "NOT_FOUND", field: "key")
                try await api.request(.put, "/api/things/\(plain)/tags/bad%20key", key: tenant.key, body: ["value": "x"])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "key")
                try await api.request(.put, "/api/things/\(plain)/tags/size", key: tenant.key, body: [:])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "value")
                try await api.request(.put, "/api/things/\(plain)/tags/size", key: tenant.key, body: ["value": .string(String(repeating: "x", count: 300))])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "value")
                try await api.get("/api/things?tag=", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "tag")
                try await api.get("/api/things?tag=a%20b:c", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "tag")
                let other = try await server.makeTenant()
                try await api.request(.put, "/api/things/\(plain)/tags/size", key: other.key, body: ["value": "x"])
                    .expectError(.notFound, "NOT_FOUND")
            }

            // At most 50 tags a thing; an archived thing takes none.
            for index in 0..<Tags.maxPerThing {
                try await api.request(.put, "/api/things/\(plain)/tags/k\(index)", key: tenant.key, body: ["value": "v"]).expect(.ok)
            }
            try await server.expectUnchanged(tenant.groupId) {
                try await api.request(.put, "/api/things/\(plain)/tags/one-more", key: tenant.key, body: ["value": "v"])
                    .expectError(.forbidden, "QUOTA_EXCEEDED", field: "key")
            }
            try await api.request(.put, "/api/things/\(plain)/tags/k0", key: tenant.key, body: ["value": "changed"]).expect(.ok)
            try await api.delete("/api/things/\(recorded)", key: tenant.key).expect(.ok)
            try await server.expectUnchanged(tenant.groupId) {
                try await api.request(.put, "/api/things/\(recorded)/tags/format", key: tenant.key, body: ["value": "x"])
                    .expectError(.conflict, "CONFLICT")
            }
        }
    }

    @Test("GET /api/health names the caller; /health stays public", arguments: TestStore.available)
    func callerHealth(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let tenant = try await server.makeTenant()
            let user = try await server.makeKey(in: tenant.groupId, role: .groupUser)
            let health = try await server.api.get("/api/health", key: user.key).expect(.ok)
            #expect(health["status"] == "ok")
            #expect(health["groupId"]?.stringValue == tenant.groupId)
            #expect(health["role"] == "group_user")
            #expect(health["actorId"]?.stringValue == user.keyId)
            #expect(health["credential"] == "apiKey")
            try await server.api.get("/api/health", key: nil).expectError(.unauthorized, "UNAUTHENTICATED")
            try await server.api.get("/health", key: nil).expect(.ok)
        }
    }
}
