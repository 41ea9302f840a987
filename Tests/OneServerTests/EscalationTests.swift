import Foundation
import HTTPTypes
import OneCore
import Testing

/// Ways a tenant might reach past its bounds through legitimate routes, each closed.
@Suite("Escalation and leaks")
struct EscalationTests {
    @Test("a person's profile is per group: inviting a known email shows and edits only this group's view", arguments: TestStore.available)
    func profilesArePerGroup(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            // The platform owner's email, known to the tenant.
            let invited = try await api.post("/api/people", key: tenant.key, body: ["email": "owner@one.local", "name": "Someone"]).expect(.created)
            #expect(invited["name"] == "Someone")
            #expect(invited["role"] == "group_user")
            let id = try #require(invited["_id"]?.stringValue)
            try await api.patch("/api/people/\(id)", key: tenant.key, body: ["name": "Renamed by tenant", "bio": "x"]).expect(.ok)
            #expect(id != server.platform.personId, "the tenant knows the person by an ID of its own")
            try await api.get("/api/people/\(id)", key: server.platform.key).expectError(.notFound, "NOT_FOUND")
            let platformView = try await api.get("/api/people/\(try #require(server.platform.personId))", key: server.platform.key).okJSON
            #expect(platformView["name"] == "Platform owner")
            #expect(platformView["bio"] == nil)
            #expect(platformView["role"] == "platform_owner")
        }
    }

    @Test("a group owner cannot lift its own group's quotas, status or place; its parent can", arguments: TestStore.available)
    func ownGroupGovernedFromAbove(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant(settings: ["limits": ["things": 1]])
            try await server.expectUnchanged(tenant.groupId) {
                for body: JSONValue in [["settings": [:]], ["status": "archived"], ["parentGroupId": .string(server.platform.groupId)]] {
                    try await api.patch("/api/groups/\(tenant.groupId)", key: tenant.key, body: body).expectError(.forbidden, "FORBIDDEN")
                }
                try await api.delete("/api/groups/\(tenant.groupId)", key: tenant.key).expectError(.forbidden, "FORBIDDEN")
            }
            try await api.patch("/api/groups/\(tenant.groupId)", key: tenant.key, body: ["description": "ours"]).expect(.ok)
            // Its child groups it governs.
            let child = try #require(try await api.post("/api/groups", key: tenant.key, body: ["name": "Child"]).expect(.created)["_id"]?.stringValue)
            try await api.patch("/api/groups/\(child)", key: tenant.key, body: ["settings": ["limits": ["things": 5]]]).expect(.ok)
            try await api.patch("/api/groups/\(tenant.groupId)", key: server.platform.key, body: ["settings": [:]]).expect(.ok)
        }
    }

    @Test("archiving is DELETE's alone: archived things cannot be edited back into lists or around quotas", arguments: TestStore.available)
    func archivedThingsStayArchived(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant(settings: ["limits": ["things": 1]])
            let id = try await server.makeThing(tenant)
            try await api.delete("/api/things/\(id)", key: tenant.key).expect(.ok)
            try await server.expectUnchanged(tenant.groupId) {
                try await api.patch("/api/things/\(id)", key: tenant.key, body: ["status": "active"]).expectError(.conflict, "CONFLICT")
                try await api.post("/api/things", key: tenant.key, body: ["type": "course", "name": "x", "status": "archived"])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "status")
            }
            let other = try await server.makeThing(tenant)
            try await api.patch("/api/things/\(other)", key: tenant.key, body: ["status": "archived"]).expectError(.badRequest, "VALIDATION_ERROR", field: "status")
        }
    }

    @Test("NUL characters are refused up front on every store", arguments: TestStore.available)
    func nulRefused(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let tenant = try await server.makeTenant()
            try await server.expectUnchanged(tenant.groupId) {
                try await server.api.request(.post, "/api/events", key: tenant.key, rawBody: #"{"type":"profile_updated","metadata":{"a":"\u0000"}}"#)
                    .expectError(.badRequest, "INVALID_JSON")
                try await server.api.request(.post, "/api/things", key: tenant.key, rawBody: #"{"type":"course","name":"a\u0000b"}"#)
                    .expectError(.badRequest, "INVALID_JSON")
                try await server.api.get("/api/things?q=%00", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "q")
                try await server.api.get("/api/knowledge?label=a%00", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "label")
            }
        }
    }

    @Test("removing a person revokes the keys that act as them in that group", arguments: TestStore.available)
    func removalRevokesKeys(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let person = try #require(try await api.post("/api/people", key: tenant.key, body: ["email": "temp@x.example"]).expect(.created)["_id"]?.stringValue)
            let key = try await server.makeKey(in: tenant.groupId, role: .groupUser, extra: ["personId": .string(person)])
            try await api.post("/api/things", key: key.key, body: ["type": "course", "name": "by them"]).expect(.created)
            try await api.delete("/api/people/\(person)", key: tenant.key).expect(.ok)
            try await api.get("/api/things", key: key.key).expectError(.unauthorized, "UNAUTHENTICATED")
            let revoked = try await api.get("/api/events?type=api_key_revoked", key: tenant.key)
            #expect(revoked.results.compactMap { $0["targetId"]?.stringValue } == [key.keyId].compactMap { $0 })
        }
    }

    @Test("a key cannot mint a key that outlives or out-throttles it", arguments: TestStore.available)
    func keysNoStrongerThanTheirMaker(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let soon = server.service.clock.now() + 3_600_000
            let owner = try await server.makeKey(
                in: try await server.makeTenant().groupId, role: .groupOwner,
                extra: ["expiresAt": .number(Double(soon)), "rateLimit": ["requests": 600, "burst": 60]])
            let minted = try await api.post("/api/keys", key: owner.key, body: ["name": "child"]).expect(.created)
            #expect((minted["expiresAt"]?.integerValue ?? .max) <= Int(soon))
            #expect(minted["rateLimit"] == ["requests": 600, "burst": 60])
            try await api.post("/api/keys", key: owner.key, body: ["name": "long", "expiresAt": .number(Double(soon + 1))])
                .expectError(.badRequest, "VALIDATION_ERROR", field: "expiresAt")
            try await api.post("/api/keys", key: owner.key, body: ["name": "fast", "rateLimit": ["requests": 601, "burst": 1]])
                .expectError(.badRequest, "VALIDATION_ERROR", field: "rateLimit")
        }
    }

    @Test("slugs are unique among siblings only, and events may target only records in scope", arguments: TestStore.available)
    func slugsAndTargets(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let alice = try await server.makeTenant()
            let bob = try await server.makeTenant()
            try await api.post("/api/groups", key: alice.key, body: ["name": "Team"]).expect(.created)
            try await api.post("/api/groups", key: bob.key, body: ["name": "Team"]).expect(.created)
            try await api.post("/api/groups", key: bob.key, body: ["name": "Team"]).expectError(.conflict, "CONFLICT")
            let bobPerson = try #require(try await api.post("/api/people", key: bob.key, body: ["email": "b@b.example"]).expect(.created)["_id"]?.stringValue)
            try await api.post("/api/events", key: alice.key, body: ["type": "profile_updated", "targetId": .string(bobPerson)])
                .expectError(.notFound, "NOT_FOUND", field: "targetId")
            try await api.post("/api/events", key: alice.key, body: ["type": "profile_updated", "targetId": .string(bob.groupId)])
                .expectError(.notFound, "NOT_FOUND", field: "targetId")
            try await api.post("/api/events", key: alice.key, body: ["type": "profile_updated", "targetId": .string(alice.groupId)]).expect(.created)
        }
    }
}
