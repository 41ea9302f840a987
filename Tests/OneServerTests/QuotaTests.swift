import HTTPTypes
import OneCore
import Testing

@Suite("Quotas")
struct QuotaTests {
    @Test("a group's limits refuse the write past them with QUOTA_EXCEEDED, writing nothing", arguments: TestStore.available)
    func limits(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant(settings: ["limits": ["things": 2, "connections": 1, "knowledge": 1, "people": 1]])
            let a = try await server.makeThing(tenant)
            let b = try await server.makeThing(tenant)
            try await api.post("/api/connections", key: tenant.key, body: ["fromId": .string(a), "toId": .string(b), "type": "owns"]).expect(.created)
            try await api.post("/api/knowledge", key: tenant.key, body: ["type": "label", "text": "a"]).expect(.created)
            try await api.post("/api/people", key: tenant.key, body: ["email": "one@x.example"]).expect(.created)
            try await server.expectUnchanged(tenant.groupId) {
                try await api.post("/api/things", key: tenant.key, body: ["type": "course", "name": "third"]).expectError(.forbidden, "QUOTA_EXCEEDED")
                try await api.post("/api/connections", key: tenant.key, body: ["fromId": .string(b), "toId": .string(a), "type": "owns"])
                    .expectError(.forbidden, "QUOTA_EXCEEDED")
                try await api.post("/api/knowledge", key: tenant.key, body: ["type": "label", "text": "b"]).expectError(.forbidden, "QUOTA_EXCEEDED")
                try await api.post("/api/people", key: tenant.key, body: ["email": "two@x.example"]).expectError(.forbidden, "QUOTA_EXCEEDED")
            }
            // Archiving frees a place; raising the limit does too.
            try await api.delete("/api/things/\(a)", key: tenant.key).expect(.ok)
            try await server.makeThing(tenant, name: "fits now")
            try await api.patch("/api/groups/\(tenant.groupId)", key: server.platform.key, body: ["settings": ["limits": ["things": 5]]]).expect(.ok)
            try await server.makeThing(tenant, name: "fits after raise")
        }
    }

    @Test("concurrent creates never overshoot a limit", arguments: TestStore.available)
    func concurrentCreates(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let tenant = try await server.makeTenant(settings: ["limits": ["things": 10]])
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<30 {
                    group.addTask {
                        try await server.api.post("/api/things", key: tenant.key, body: ["type": "course", "name": .string("c\(index)")]).status.code
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 10)
            #expect(statuses.filter { $0 == 403 }.count == 20)
            #expect(try await server.api.get("/api/things?limit=100", key: tenant.key).results.count == 10)
        }
    }
}
