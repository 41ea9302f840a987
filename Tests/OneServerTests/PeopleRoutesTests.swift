import HTTPTypes
import OneCore
import Testing

@Suite("People")
struct PeopleRoutesTests {
    @Test("invite, read, change role, list memberships across groups, remove", arguments: TestStore.available)
    func lifecycle(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let invited = try await api.post(
                "/api/people", key: tenant.key, body: ["email": "Grace@Example.com", "name": "Grace", "role": "group_user"]
            ).expect(.created)
            let id = try #require(invited["_id"]?.stringValue)
            #expect(id.hasPrefix("usr_"))
            #expect(invited["email"] == "grace@example.com")
            #expect(invited["role"] == "group_user")
            #expect(invited["groupId"]?.stringValue == tenant.groupId)
            #expect(try await api.get("/api/people", key: tenant.key).ids == [id])
            #expect(try await api.get("/api/people/\(id)", key: tenant.key).okJSON == invited)

            let promoted = try await api.patch("/api/people/\(id)", key: tenant.key, body: ["role": "group_owner", "bio": "Admiral"]).expect(.ok)
            #expect(promoted["role"] == "group_owner")
            #expect(promoted["bio"] == "Admiral")

            // The same person joins a child group: one identity, two memberships, and each group
            // knows the person by an ID of its own.
            let child = try #require(
                try await api.post("/api/groups", key: tenant.key, body: ["name": "Child"]).expect(.created)["_id"]?.stringValue)
            let again = try await api.post("/api/people", key: tenant.key, group: child, body: ["email": "grace@example.com"]).expect(.created)
            let childId = try #require(again["_id"]?.stringValue)
            #expect(childId != id)
            let memberships = try await api.get("/api/people/\(id)/groups", key: tenant.key)
            #expect(Set(memberships.results.compactMap { $0["groupId"]?.stringValue }) == [tenant.groupId, child])
            #expect(Set(memberships.results.compactMap { $0["personId"]?.stringValue }) == [id, childId])

            try await server.expectUnchanged(tenant.groupId) {
                try await api.post("/api/people", key: tenant.key, body: ["email": "grace@example.com"]).expectError(.conflict, "CONFLICT")
                try await api.post("/api/people", key: tenant.key, body: ["email": "not-an-email"]).expectError(.badRequest, "VALIDATION_ERROR", field: "email")
                try await api.post("/api/people", key: tenant.key, body: ["email": "x@y.example", "role": "emperor"])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "role")
                try await api.patch("/api/people/\(id)", key: tenant.key, body: ["role": "platform_owner"]).expectError(.forbidden, "FORBIDDEN")
            }
            try await api.delete("/api/people/\(id)", key: tenant.key).expect(.ok)
            try await api.get("/api/people/\(id)", key: tenant.key).expectError(.notFound, "NOT_FOUND")
            // Still a member of the child group.
            try await api.get("/api/people/\(childId)", key: tenant.key, group: child).expect(.ok)
        }
    }
}
