import HTTPTypes
import OneCore
import Testing

@Suite("Connections")
struct ConnectionRoutesTests {
    @Test("connect two things, list by either end, refuse duplicates, delete", arguments: TestStore.available)
    func lifecycle(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let creator = try await server.makeThing(tenant, type: "creator", name: "Ada")
            let course = try await server.makeThing(tenant, type: "course", name: "Engines")
            let other = try await server.makeThing(tenant, type: "lesson", name: "Gears")
            let created = try await api.post(
                "/api/connections", key: tenant.key,
                body: ["fromId": .string(creator), "toId": .string(course), "type": "authored", "metadata": ["role": "lead"], "strength": 0.9]
            ).expect(.created)
            let id = try #require(created["_id"]?.stringValue)
            #expect(id.hasPrefix("con_"))
            let partOf = try #require(
                try await api.post("/api/connections", key: tenant.key, body: ["fromId": .string(other), "toId": .string(course), "type": "part_of"])
                    .expect(.created)["_id"]?.stringValue)

            #expect(try await api.get("/api/connections/\(id)", key: tenant.key).okJSON == created)
            #expect(try await api.get("/api/connections/from/\(creator)", key: tenant.key).ids == [id])
            #expect(try await api.get("/api/connections/to/\(course)", key: tenant.key).ids == [partOf, id])
            #expect(try await api.get("/api/things/\(course)/connections", key: tenant.key).ids == [partOf, id])
            #expect(try await api.get("/api/connections?type=authored", key: tenant.key).ids == [id])
            #expect(try await api.get("/api/connections?fromId=\(other)&toId=\(course)", key: tenant.key).ids == [partOf])

            try await server.expectUnchanged(tenant.groupId) {
                try await api.post("/api/connections", key: tenant.key, body: ["fromId": .string(creator), "toId": .string(course), "type": "authored"])
                    .expectError(.conflict, "CONFLICT")
                try await api.post("/api/connections", key: tenant.key, body: ["fromId": .string(creator), "toId": .string(course), "type": "likes"])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "type")
                try await api.post("/api/connections", key: tenant.key, body: ["fromId": .string(creator), "type": "owns"])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "toId")
                try await api.post("/api/connections", key: tenant.key, body: ["fromId": "grp_00000000000000000000000000", "toId": .string(course), "type": "owns"])
                    .expectError(.badRequest, "INVALID_ID", field: "fromId")
                try await api.post("/api/connections", key: tenant.key, body: ["fromId": "thg_00000000000000000000000000", "toId": .string(course), "type": "owns"])
                    .expectError(.notFound, "NOT_FOUND", field: "fromId")
                try await api.post("/api/connections", key: tenant.key, body: ["fromId": .string(creator), "toId": .string(course), "type": "owns", "strength": 7])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "strength")
                try await api.get("/api/connections/from/thg_00000000000000000000000000", key: tenant.key).expectError(.notFound, "NOT_FOUND")
            }

            try await api.delete("/api/connections/\(id)", key: tenant.key).expect(.ok)
            try await api.get("/api/connections/\(id)", key: tenant.key).expectError(.notFound, "NOT_FOUND")
            try await api.delete("/api/connections/\(id)", key: tenant.key).expectError(.notFound, "NOT_FOUND")
            #expect(try await api.get("/api/connections/from/\(creator)", key: tenant.key).ids.isEmpty)
            // Once deleted, the same connection may be made again.
            try await api.post("/api/connections", key: tenant.key, body: ["fromId": .string(creator), "toId": .string(course), "type": "authored"])
                .expect(.created)
            let types = try await api.get("/api/events?targetId=\(id)", key: tenant.key).results.compactMap { $0["type"]?.stringValue }
            #expect(types == ["connection_created", "connection_deleted"])
        }
    }
}
