import HTTPTypes
import Foundation
import OneCore
import Testing

@Suite("Things")
struct ThingRoutesTests {
    @Test("create, read, patch (merging properties) and archive a thing, each with its event", arguments: TestStore.available)
    func lifecycle(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let created = try await api.post(
                "/api/things", key: tenant.key,
                body: ["type": "course", "name": "Intro to AI", "properties": ["price": 299, "level": "beginner"]]
            ).expect(.created)
            let id = try #require(created["_id"]?.stringValue)
            #expect(id.hasPrefix("thg_"))
            #expect(created["groupId"]?.stringValue == tenant.groupId)
            #expect(created["status"] == "active")
            #expect(created["createdAt"]?.integerValue != nil)

            let read = try await api.get("/api/things/\(id)", key: tenant.key).expect(.ok)
            #expect(read == created)

            let patched = try await api.patch(
                "/api/things/\(id)", key: tenant.key,
                body: ["name": "Intro to AI, 2nd ed.", "properties": ["price": 199, "level": nil, "weeks": 8]]
            ).expect(.ok)
            #expect(patched["name"] == "Intro to AI, 2nd ed.")
            #expect(patched["properties"] == ["price": 199, "weeks": 8])

            let archived = try await api.delete("/api/things/\(id)", key: tenant.key).expect(.ok)
            #expect(archived["status"] == "archived")
            #expect(archived["deletedAt"]?.integerValue != nil)
            #expect(try await api.get("/api/things", key: tenant.key).ids.contains(id) == false)
            #expect(try await api.get("/api/things?status=archived", key: tenant.key).ids == [id])
            #expect(try await api.get("/api/things/\(id)", key: tenant.key).expect(.ok)["status"] == "archived")

            let history = try await api.get("/api/things/\(id)/events", key: tenant.key)
            let types = history.results.compactMap { $0["type"]?.stringValue }
            #expect(types == ["thing_archived", "thing_updated", "thing_created"])
            let update = try #require(history.results.dropFirst().first)
            #expect(update["change"]?["before"]?["name"] == "Intro to AI")
            #expect(update["change"]?["after"]?["name"] == "Intro to AI, 2nd ed.")
            #expect(update["actorId"]?.stringValue == tenant.keyId)
        }
    }

    @Test("list filters by type, status and text, newest first", arguments: TestStore.available)
    func filters(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let tenant = try await server.makeTenant()
            let course = try await server.makeThing(tenant, type: "course", name: "Swift on the Server")
            let post = try await server.makeThing(tenant, type: "blog_post", name: "Why Swift? 100% fun")
            let draft = try await server.api.post(
                "/api/things", key: tenant.key, body: ["type": "blog_post", "name": "Draft notes", "status": "draft"]
            ).expect(.created)["_id"]?.stringValue
            let api = server.api
            #expect(try await api.get("/api/things", key: tenant.key).ids == [draft, post, course].compactMap { $0 })
            #expect(try await api.get("/api/things?type=course", key: tenant.key).ids == [course])
            #expect(try await api.get("/api/things?type=blog_post&status=draft", key: tenant.key).ids == [draft].compactMap { $0 })
            #expect(try await api.get("/api/things?q=swift", key: tenant.key).ids == [post, course])
            #expect(try await api.get("/api/things?q=100%25", key: tenant.key).ids == [post])
            #expect(try await api.get("/api/things?q=_", key: tenant.key).ids == [])
            let listed = try await api.get("/api/things?limit=2", key: tenant.key)
            #expect(listed["count"] == 2)
            #expect(listed["hasMore"] == true)
            #expect(listed["cursor"]?.stringValue != nil)
        }
    }

    @Test("bad input gets a clear 4xx naming the field, and writes nothing", arguments: TestStore.available)
    func validation(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let id = try await server.makeThing(tenant)
            let cases: [(JSONValue?, String?, Int, String, String?)] = [
                (["name": "x"], nil, 400, "VALIDATION_ERROR", "type"),
                (["type": "course"], nil, 400, "VALIDATION_ERROR", "name"),
                (["type": "course", "name": "   "], nil, 400, "VALIDATION_ERROR", "name"),
                (["type": "spaceship", "name": "x"], nil, 400, "VALIDATION_ERROR", "type"),
                (["type": "session", "name": "x"], nil, 400, "VALIDATION_ERROR", "type"),
                (["type": "course", "name": "x", "status": "gone"], nil, 400, "VALIDATION_ERROR", "status"),
                (["type": "course", "name": "x", "properties": [1, 2]], nil, 400, "VALIDATION_ERROR", "properties"),
                (["type": "course", "name": 42], nil, 400, "VALIDATION_ERROR", "name"),
                (["type": "course", "name": "x", "colour": "red"], nil, 400, "VALIDATION_ERROR", "colour"),
                (nil, "{\"type\": \"course\", ", 400, "INVALID_JSON", nil),
                (nil, "[1, 2]", 400, "INVALID_JSON", nil),
                (nil, "", 400, "INVALID_JSON", nil),
            ]
            for (body, raw, status, code, field) in cases {
                try await server.expectUnchanged(tenant.groupId) {
                    let reply = try await api.request(.post, "/api/things", key: tenant.key, body: body, rawBody: raw)
                    reply.expectError(.init(code: status), code, field: field)
                }
            }
            let unknownType = try await api.post("/api/things", key: tenant.key, body: ["type": "spaceship", "name": "x"])
            #expect(unknownType["error"]?.stringValue?.contains("course") == true, "the error lists the allowed types")

            try await server.expectUnchanged(tenant.groupId) {
                try await api.patch("/api/things/\(id)", key: tenant.key, body: ["properties": "flat"])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "properties")
                try await api.patch("/api/things/\(id)", key: tenant.key, body: ["name": ""])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "name")
                try await api.patch("/api/things/\(id)", key: tenant.key, body: ["type": "session"])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "type")
                try await api.get("/api/things/not-an-id", key: tenant.key).expectError(.badRequest, "INVALID_ID")
                try await api.patch("/api/things/thg_123", key: tenant.key, body: ["name": "x"]).expectError(.badRequest, "INVALID_ID")
                try await api.get("/api/things/thg_00000000000000000000000000", key: tenant.key).expectError(.notFound, "NOT_FOUND")
                try await api.delete("/api/things/thg_00000000000000000000000000", key: tenant.key).expectError(.notFound, "NOT_FOUND")
                try await api.get("/api/things?limit=0", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "limit")
                try await api.get("/api/things?limit=101", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "limit")
                try await api.get("/api/things?limit=ten", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "limit")
                try await api.get("/api/things?cursor=garbage", key: tenant.key).expectError(.badRequest, "INVALID_CURSOR")
                try await api.get("/api/things?type=spaceship", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "type")
            }
        }
    }

    @Test("a body over the 1 MiB limit is refused with 413 and nothing is written", arguments: TestStore.available)
    func oversizeBody(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let tenant = try await server.makeTenant()
            let big = String(repeating: "x", count: (1 << 20) + 10)
            try await server.expectUnchanged(tenant.groupId) {
                let reply = try await server.api.post(
                    "/api/things", key: tenant.key, body: ["type": "course", "name": "big", "properties": ["blob": .string(big)]])
                reply.expectError(.contentTooLarge, "PAYLOAD_TOO_LARGE")
            }
        }
    }

    @Test("an archived thing cannot be archived twice; unknown routes answer 404 in the error shape", arguments: TestStore.available)
    func edges(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let tenant = try await server.makeTenant()
            let id = try await server.makeThing(tenant)
            try await server.api.delete("/api/things/\(id)", key: tenant.key).expect(.ok)
            try await server.expectUnchanged(tenant.groupId) {
                try await server.api.delete("/api/things/\(id)", key: tenant.key).expectError(.conflict, "CONFLICT")
            }
            try await server.api.request(.get, "/api/nothing-here", key: tenant.key, undocumented: true).expectError(.notFound, "NOT_FOUND")
        }
    }
}
