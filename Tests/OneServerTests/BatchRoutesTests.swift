import HTTPTypes
import OneCore
import Testing

@Suite("Batches and seed feature mappings")
struct BatchRoutesTests {
    static func create(_ name: String, type: String = "lesson") -> JSONValue {
        ["method": "POST", "path": "/api/things", "body": ["type": .string(type), "name": .string(name)]]
    }

    @Test("an atomic batch whose 7th of 10 operations fails writes nothing; without atomic each stands alone", arguments: TestStore.available)
    func atomicAndNot(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            var operations = (1...10).map { Self.create("Lesson \($0)") }
            operations[6] = Self.create("Bad", type: "no_such_type")

            try await server.expectUnchanged(tenant.groupId) {
                let failed = try await api.post("/api/batch", key: tenant.key, body: ["operations": .array(operations), "atomic": true])
                failed.expectError(.badRequest, "VALIDATION_ERROR")
                let failure = failed["failedOperation"]?.objectValue
                #expect(failure?["index"] == 6)
                #expect(failure?["status"] == 400)
                #expect(failure?["body"]?.objectValue?["field"] == "type")
                #expect(failed["error"]?.stringValue?.contains("operation 7 of 10") == true)
            }
            #expect(try await api.get("/api/things", key: tenant.key).ids.isEmpty)

            let separate = try await api.post("/api/batch", key: tenant.key, body: ["operations": .array(operations)]).expect(.ok)
            let results = separate.objectValue?["results"]?.arrayValue ?? []
            #expect(results.count == 10)
            #expect(results.map { $0.objectValue?["status"] } == (0..<10).map { $0 == 6 ? 400 : 201 })
            #expect(results[6].objectValue?["body"]?.objectValue?["code"] == "VALIDATION_ERROR")
            #expect(try await api.get("/api/things?limit=100", key: tenant.key).ids.count == 9)
        }
    }

    @Test("a run of creations past a quota fails at the first operation over it; each answer is the route's", arguments: TestStore.available)
    func quotaInBatch(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant(settings: ["limits": ["things": 3]])
            let operations = (1...5).map { Self.create("Lesson \($0)") }
            try await server.expectUnchanged(tenant.groupId) {
                let refused = try await api.post("/api/batch", key: tenant.key, body: ["operations": .array(operations), "atomic": true])
                refused.expectError(.forbidden, "QUOTA_EXCEEDED")
                #expect(refused["failedOperation"]?.objectValue?["index"] == 3)
                let badName = try await api.post(
                    "/api/batch", key: tenant.key,
                    body: ["operations": [Self.create("a"), ["method": "POST", "path": "/api/things", "body": ["type": "lesson", "name": 7]]], "atomic": true])
                badName.expectError(.badRequest, "VALIDATION_ERROR")
                #expect(badName["failedOperation"]?.objectValue?["body"]?.objectValue?["error"] == "name must be a string")
                #expect(badName["failedOperation"]?.objectValue?["index"] == 1)
            }
            let created = try await api.post("/api/batch", key: tenant.key, body: ["operations": .array(Array(operations.prefix(3))), "atomic": true]).expect(.ok)
            let bodies = (created.objectValue?["results"]?.arrayValue ?? []).compactMap { $0.objectValue?["body"] }
            #expect(bodies.count == 3)
            for body in bodies {
                let id = try #require(body.objectValue?["_id"]?.stringValue)
                #expect(try await api.get("/api/things/\(id)", key: tenant.key).okJSON == body, "the answer is the record as the route gives it")
            }
        }
    }

    @Test("an atomic batch commits every write with its event, and later operations see earlier ones", arguments: TestStore.available)
    func atomicCommit(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let course = try await server.makeThing(tenant, type: "course", name: "Engines")
            let before = try await server.lastSequence(in: tenant.groupId)
            let operations: [JSONValue] = [
                Self.create("Gears"),
                ["method": "patch", "path": .string("/api/things/\(course)"), "body": ["status": "published"]],
                ["method": "PUT", "path": .string("/api/things/\(course)/tags/level"), "body": ["value": "beginner"]],
                ["method": "GET", "path": .string("/api/things/\(course)")],
            ]
            let reply = try await api.post("/api/batch", key: tenant.key, body: ["operations": .array(operations), "atomic": true]).expect(.ok)
            let results = reply.objectValue?["results"]?.arrayValue ?? []
            #expect(results.map { $0.objectValue?["status"] } == [201, 200, 200, 200])
            #expect(try await api.get("/api/things/\(course)", key: tenant.key).expect(.ok)["tags"] == ["level": "beginner"])
            let events = try await api.get("/api/events?limit=100", key: tenant.key).results
                .filter { ($0["sequence"]?.integerValue ?? 0) > Int(before) }.compactMap { $0["type"]?.stringValue }
            #expect(events == ["thing_created", "thing_updated", "thing_tagged"])
        }
    }

    @Test("a batch gets each operation's own access checks, and refuses what cannot be batched", arguments: TestStore.available)
    func batchRules(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let customer = try await server.makeKey(in: tenant.groupId, role: .customer)
            let other = try await server.makeTenant()
            let foreign = try await server.makeThing(other, name: "Not yours")
            try await server.expectUnchanged(tenant.groupId) {
                let denied = try await api.post("/api/batch", key: customer.key, body: ["operations": [Self.create("x")]]).expect(.ok)
                #expect(denied.objectValue?["results"]?.arrayValue?.first?.objectValue?["status"] == 403)
                let crossing = try await api.post(
                    "/api/batch", key: tenant.key,
                    body: ["operations": [["method": "DELETE", "path": .string("/api/things/\(foreign)")]], "atomic": true])
                crossing.expectError(.notFound, "NOT_FOUND")
                try await api.post("/api/batch", key: tenant.key, body: ["operations": []])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "operations")
                try await api.post("/api/batch", key: tenant.key, body: ["operations": .array(Array(repeating: Self.create("x"), count: 101))])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "operations")
                try await api.post("/api/batch", key: tenant.key, body: ["operations": [["method": "POST", "path": "/api/keys"]]])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "operations[0].path")
                try await api.post("/api/batch", key: tenant.key, body: ["operations": [["method": "TRACE", "path": "/api/things"]]])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "operations[0].method")
                let logged = try await api.post(
                    "/api/batch", key: tenant.key,
                    body: ["operations": [["method": "POST", "path": "/api/events", "body": ["type": "lead_captured"]]], "atomic": true])
                logged.expectError(.badRequest, "VALIDATION_ERROR")
                try await api.post("/api/batch", key: tenant.key, body: ["operations": [Self.create("x")], "atomic": "yes"])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "atomic")
                try await api.post("/api/batch", key: tenant.key, body: ["operations": [7]])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "operations[0]")
                try await api.post("/api/batch", key: tenant.key, body: ["operations": [["method": "POST", "path": "/api/things", "body": [1]]]])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "operations[0].body")
                try await api.post("/api/batch", key: tenant.key, body: ["operations": [["method": "GET", "path": "/api/things", "headers": [:]]]])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "operations[0].headers")
                try await api.post("/api/batch", key: tenant.key, body: ["operations": "all of them"])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "operations")
            }
            #expect(try await api.get("/api/things/\(foreign)", key: other.key).status == .ok)
        }
    }

    @Test("the seeds' Livestream, Token Purchase and Course mappings are recorded as written", arguments: TestStore.available)
    func seedMappings(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let viewer = try await GraphRoutesTests.invite(server, tenant, "viewer@example.com")
            func connect(_ from: String, _ to: String, _ type: String, _ metadata: JSONValue = [:]) async throws {
                try await api.post(
                    "/api/connections", key: tenant.key,
                    body: ["fromId": .string(from), "toId": .string(to), "type": .string(type), "metadata": metadata]
                ).expect(.created)
            }
            func log(_ type: String, _ target: String, _ metadata: JSONValue = [:]) async throws -> JSONValue {
                try await api.post(
                    "/api/events", key: tenant.key, body: ["type": .string(type), "targetId": .string(target), "metadata": metadata]
                ).expect(.created)
            }
            let creator = try await server.makeThing(tenant, type: "creator", name: "Ada")
            let clone = try await server.makeThing(tenant, type: "ai_clone", name: "Ada's clone")

            // Livestream session.
            let livestream = try await server.makeThing(tenant, type: "livestream", name: "Launch day")
            let platform = try await server.makeThing(tenant, type: "platform", name: "YouTube")
            try await connect(creator, livestream, "owns")
            try await connect(clone, livestream, "participated_in")
            try await connect(livestream, platform, "hosted_on")
            try await connect(viewer, livestream, "participated_in")
            let status = try await log("livestream_status_changed", livestream, ["from": "scheduled", "to": "started"])
            #expect(status["type"] == "livestream_event" && status["metadata"]?.objectValue?["variant"] == "livestream_status_changed")
            _ = try await log("livestream_interaction", livestream, ["action": "joined"])
            let recording = try await server.makeThing(tenant, type: "recording", name: "Launch day replay")
            _ = try await log("content_changed", recording, ["variant": "created"])
            try await api.request(.put, "/api/things/\(livestream)/tags/format", key: tenant.key, body: ["value": "live"]).expect(.ok)
            try await api.request(.put, "/api/things/\(livestream)/tags/topic", key: tenant.key, body: ["value": "launch"]).expect(.ok)

            // Token purchase.
            let token = try await server.makeThing(tenant, type: "token", name: "ADA")
            let buyer = try await server.makeThing(tenant, type: "audience_member", name: "Bob")
            try await connect(buyer, token, "holds_tokens", ["balance": 100, "blockchain": "sui"])
            try await connect(viewer, token, "holds_tokens", ["balance": 5])
            _ = try await log("tokens_purchased", token, ["amount": 100, "blockchain": "sui"])
            _ = try await log("revenue_generated", creator, ["amount": 10])
            let payment = try await log("payment_processed", token, ["usd": 10])
            #expect(payment["type"] == "payment_event")

            // Course generation.
            let course = try await server.makeThing(tenant, type: "course", name: "Engines")
            let agent = try await server.makeThing(tenant, type: "engineering_agent", name: "Course writer")
            try await connect(creator, course, "owns")
            try await connect(agent, course, "generated_by")
            try await connect(clone, course, "teaching")
            for index in 1...2 {
                let lesson = try await server.makeThing(tenant, type: "lesson", name: "Lesson \(index)")
                let quiz = try await server.makeThing(tenant, type: "quiz", name: "Quiz \(index)")
                try await connect(course, lesson, "part_of")
                try await connect(lesson, quiz, "part_of")
                _ = try await log("clone_generated_content", lesson)
            }
            _ = try await log("course_created", course)

            // The aliases read back under the name the seeds use, too.
            #expect(try await api.get("/api/events?type=livestream_status_changed", key: tenant.key).results.count == 2)
            #expect(try await api.get("/api/graph/\(livestream)?direction=both", key: tenant.key).expect(.ok)["nodes"]?.arrayValue?.count == 5)
        }
    }
}
