import HTTPTypes
import OneCore
import Testing

@Suite("Groups")
struct GroupRoutesTests {
    @Test("create, read, list children, update and archive; archived groups refuse writes", arguments: TestStore.available)
    func lifecycle(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let key = server.platform.key
            let root = try await api.post(
                "/api/groups", key: key,
                body: ["name": "Acme Corp", "type": "business", "settings": ["visibility": "private", "limits": ["things": 10]]]
            ).expect(.created)
            let rootId = try #require(root["_id"]?.stringValue)
            #expect(root["slug"] == "acme-corp")
            #expect(root["status"] == "active")
            #expect(root["settings"]?["limits"]?["things"] == 10)
            let child = try await api.post("/api/groups", key: key, body: ["name": "Acme EU", "parentGroupId": .string(rootId)]).expect(.created)
            let childId = try #require(child["_id"]?.stringValue)
            #expect(try await api.get("/api/groups/\(rootId)/children", key: key).ids == [childId])
            #expect(try await api.get("/api/groups?parentId=\(rootId)", key: key).ids == [childId])

            let updated = try await api.patch("/api/groups/\(rootId)", key: key, body: ["description": "Makers of everything", "metadata": ["tier": 1]]).expect(.ok)
            #expect(updated["description"] == "Makers of everything")
            #expect(updated["metadata"] == ["tier": 1])

            let archived = try await api.delete("/api/groups/\(childId)", key: key).expect(.ok)
            #expect(archived["status"] == "archived")
            try await server.expectUnchanged(childId) {
                try await api.post("/api/things", key: key, group: childId, body: ["type": "course", "name": "x"])
                    .expectError(.conflict, "GROUP_ARCHIVED")
                try await api.patch("/api/groups/\(childId)", key: key, body: ["name": "renamed"]).expectError(.conflict, "GROUP_ARCHIVED")
                try await api.post("/api/groups", key: key, body: ["name": "Under archived", "parentGroupId": .string(childId)])
                    .expectError(.conflict, "GROUP_ARCHIVED")
            }
            // Reading still works, and setting it active again reopens it.
            try await api.get("/api/groups/\(childId)", key: key).expect(.ok)
            try await api.patch("/api/groups/\(childId)", key: key, body: ["status": "active"]).expect(.ok)
            try await api.post("/api/things", key: key, group: childId, body: ["type": "course", "name": "x"]).expect(.created)

            let events = try await api.get("/api/events?type=group_archived", key: key, group: childId)
            #expect(events.results.count == 1)
        }
    }

    @Test("cycles, missing parents, duplicate slugs and bad fields are refused", arguments: TestStore.available)
    func refusals(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let key = server.platform.key
            let a = try #require(try await api.post("/api/groups", key: key, body: ["name": "A"]).expect(.created)["_id"]?.stringValue)
            let b = try #require(try await api.post("/api/groups", key: key, body: ["name": "B", "parentGroupId": .string(a)]).expect(.created)["_id"]?.stringValue)
            let c = try #require(try await api.post("/api/groups", key: key, body: ["name": "C", "parentGroupId": .string(b)]).expect(.created)["_id"]?.stringValue)
            try await server.expectUnchanged(a) {
                try await api.patch("/api/groups/\(a)", key: key, body: ["parentGroupId": .string(c)])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "parentGroupId")
                try await api.patch("/api/groups/\(a)", key: key, body: ["parentGroupId": .string(a)])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "parentGroupId")
                try await api.post("/api/groups", key: key, body: ["name": "Orphan", "parentGroupId": "grp_00000000000000000000000000"])
                    .expectError(.notFound, "NOT_FOUND", field: "parentGroupId")
                try await api.post("/api/groups", key: key, body: ["name": "A"]).expectError(.conflict, "CONFLICT")
                try await api.post("/api/groups", key: key, body: ["name": "x", "slug": "Not A Slug"]).expectError(.badRequest, "VALIDATION_ERROR", field: "slug")
                try await api.post("/api/groups", key: key, body: ["name": "x", "type": "kingdom"]).expectError(.badRequest, "VALIDATION_ERROR", field: "type")
                try await api.post("/api/groups", key: key, body: ["name": "x", "settings": ["limits": ["things": -1]]])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "settings.limits.things")
                try await api.post("/api/groups", key: key, body: ["name": "x", "settings": ["visibility": "secret"]])
                    .expectError(.badRequest, "VALIDATION_ERROR")
                try await api.post("/api/groups", key: key, body: [:]).expectError(.badRequest, "VALIDATION_ERROR", field: "name")
                try await api.post("/api/groups", key: key, body: ["name": "x", "settings": ["limts": ["things": 1]]])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "settings.limts")
                try await api.post("/api/groups", key: key, body: ["name": "x", "settings": ["limits": ["thingz": 1]]])
                    .expectError(.badRequest, "VALIDATION_ERROR")
            }
            // Moving C to the top of A's tree is fine.
            try await api.patch("/api/groups/\(c)", key: key, body: ["parentGroupId": .string(a)]).expect(.ok)
            #expect(Set(try await api.get("/api/groups/\(a)/children", key: key).ids) == [b, c])
        }
    }
}
