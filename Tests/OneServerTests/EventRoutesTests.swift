import HTTPTypes
import OneCore
import Testing

@Suite("Events")
struct EventRoutesTests {
    @Test("custom events are logged with actor and target, filtered, and never edited or deleted", arguments: TestStore.available)
    func customEvents(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let thing = try await server.makeThing(tenant)
            let before = server.service.clock.now()
            let logged = try await api.post(
                "/api/events", key: tenant.key, body: ["type": "lesson_completed", "targetId": .string(thing), "metadata": ["score": 93]]
            ).expect(.created)
            let id = try #require(logged["_id"]?.stringValue)
            #expect(logged["actorId"]?.stringValue == tenant.keyId)
            #expect(logged["targetId"]?.stringValue == thing)
            #expect(logged["metadata"] == ["score": 93])
            #expect(try await api.get("/api/events/\(id)", key: tenant.key).okJSON == logged)
            #expect(try await api.get("/api/events?type=lesson_completed", key: tenant.key).ids == [id])
            #expect(try await api.get("/api/events/actor/\(try #require(tenant.keyId))?type=lesson_completed", key: tenant.key).ids == [id])
            #expect(try await api.get("/api/events/target/\(thing)", key: tenant.key).results.count == 2)
            #expect(try await api.get("/api/events?type=lesson_completed&since=\(before)", key: tenant.key).ids == [id])
            #expect(try await api.get("/api/events?type=lesson_completed&until=\(before - 60_000)", key: tenant.key).ids.isEmpty)

            try await server.expectUnchanged(tenant.groupId) {
                try await api.post("/api/events", key: tenant.key, body: ["type": "thing_created"]).expectError(.badRequest, "VALIDATION_ERROR", field: "type")
                try await api.post("/api/events", key: tenant.key, body: ["type": "party_started"]).expectError(.badRequest, "VALIDATION_ERROR", field: "type")
                try await api.post("/api/events", key: tenant.key, body: ["type": "dashboard_viewed", "targetId": "nonsense"])
                    .expectError(.badRequest, "INVALID_ID", field: "targetId")
                try await api.post("/api/events", key: tenant.key, body: ["type": "dashboard_viewed", "metadata": "x"])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "metadata")
                try await api.get("/api/events?actorId=bob", key: tenant.key).expectError(.badRequest, "INVALID_ID", field: "actorId")
                try await api.get("/api/events/target/bob", key: tenant.key).expectError(.badRequest, "INVALID_ID", field: "targetId")
                try await api.get("/api/events?since=yesterday", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "since")
                try await api.get("/api/events?since=10&until=5", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "until")
                #expect(try await api.request(.patch, "/api/events/\(id)", key: tenant.key, body: ["type": "x"], undocumented: true).status.code >= 400)
                #expect(try await api.request(.delete, "/api/events/\(id)", key: tenant.key, undocumented: true).status.code >= 400)
            }
            #expect(try await api.get("/api/events/\(id)", key: tenant.key).okJSON == logged)
        }
    }

    @Test("every mutation appends exactly one event, in order, with a growing sequence", arguments: TestStore.available)
    func auditTrail(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let a = try await server.makeThing(tenant)
            let b = try await server.makeThing(tenant)
            try await api.patch("/api/things/\(a)", key: tenant.key, body: ["status": "published"]).expect(.ok)
            let connection = try #require(
                try await api.post("/api/connections", key: tenant.key, body: ["fromId": .string(a), "toId": .string(b), "type": "references"])
                    .expect(.created)["_id"]?.stringValue)
            try await api.delete("/api/connections/\(connection)", key: tenant.key).expect(.ok)
            let knowledge = try #require(
                try await api.post("/api/knowledge", key: tenant.key, body: ["type": "label", "text": "topic:ai"]).expect(.created)["_id"]?.stringValue)
            try await api.delete("/api/knowledge/\(knowledge)", key: tenant.key).expect(.ok)
            let person = try #require(
                try await api.post("/api/people", key: tenant.key, body: ["email": "eve@x.example"]).expect(.created)["_id"]?.stringValue)
            try await api.patch("/api/people/\(person)", key: tenant.key, body: ["role": "customer"]).expect(.ok)
            try await api.delete("/api/people/\(person)", key: tenant.key).expect(.ok)
            try await api.delete("/api/things/\(b)", key: tenant.key).expect(.ok)

            let events = try await api.get("/api/events?limit=100", key: tenant.key).results
            let types = events.compactMap { $0["type"]?.stringValue }
            #expect(types == [
                "group_created", "api_key_created", "thing_created", "thing_created", "thing_updated", "connection_created",
                "connection_deleted", "knowledge_created", "knowledge_deleted", "user_invited_to_group", "person_updated",
                "user_removed_from_group", "thing_archived",
            ])
            let sequences = events.compactMap { $0["sequence"]?.integerValue }
            #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count)
            #expect(events.allSatisfy { $0["groupId"]?.stringValue == tenant.groupId })
        }
    }
}
