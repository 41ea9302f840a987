import HTTPTypes
import OneCore
import Testing

@Suite("Tenant isolation")
struct TenantIsolationTests {
    @Test("every route answers another tenant's IDs with 404, and X-Group-Id cannot cross over", arguments: TestStore.available)
    func crossTenant(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let alice = try await server.makeTenant(name: "Alice Inc")
            let bob = try await server.makeTenant(name: "Bob Ltd")
            // Bob's world: things, a connection, knowledge, a person, an event, a key.
            let bobThing = try await server.makeThing(bob, name: "Bob's secret")
            let bobOther = try await server.makeThing(bob, name: "Bob's other")
            let bobConnection = try #require(
                try await api.post("/api/connections", key: bob.key, body: ["fromId": .string(bobThing), "toId": .string(bobOther), "type": "owns"])
                    .expect(.created)["_id"]?.stringValue)
            let bobKnowledge = try #require(
                try await api.post("/api/knowledge", key: bob.key, body: ["type": "document", "text": "Bob's plans"])
                    .expect(.created)["_id"]?.stringValue)
            let bobPerson = try #require(
                try await api.post("/api/people", key: bob.key, body: ["email": "bob@bob.example", "name": "Bob"])
                    .expect(.created)["_id"]?.stringValue)
            let bobEvent = try #require(
                try await api.post("/api/events", key: bob.key, body: ["type": "dashboard_viewed"]).expect(.created)["_id"]?.stringValue)
            let bobKey = try #require(bob.keyId)
            let aliceThing = try await server.makeThing(alice)

            try await server.expectUnchanged(bob.groupId) {
                let reads: [String] = [
                    "/api/things/\(bobThing)", "/api/things/\(bobThing)/connections", "/api/things/\(bobThing)/events",
                    "/api/connections/\(bobConnection)", "/api/connections/from/\(bobThing)", "/api/connections/to/\(bobOther)",
                    "/api/knowledge/\(bobKnowledge)", "/api/people/\(bobPerson)", "/api/people/\(bobPerson)/groups",
                    "/api/events/\(bobEvent)", "/api/groups/\(bob.groupId)", "/api/groups/\(bob.groupId)/children",
                ]
                for path in reads {
                    try await api.get(path, key: alice.key).expectError(.notFound, "NOT_FOUND")
                }
                try await api.patch("/api/things/\(bobThing)", key: alice.key, body: ["name": "pwned"]).expectError(.notFound, "NOT_FOUND")
                try await api.delete("/api/things/\(bobThing)", key: alice.key).expectError(.notFound, "NOT_FOUND")
                try await api.delete("/api/connections/\(bobConnection)", key: alice.key).expectError(.notFound, "NOT_FOUND")
                try await api.delete("/api/knowledge/\(bobKnowledge)", key: alice.key).expectError(.notFound, "NOT_FOUND")
                try await api.patch("/api/people/\(bobPerson)", key: alice.key, body: ["role": "customer"]).expectError(.notFound, "NOT_FOUND")
                try await api.delete("/api/people/\(bobPerson)", key: alice.key).expectError(.notFound, "NOT_FOUND")
                try await api.delete("/api/keys/\(bobKey)", key: alice.key).expectError(.notFound, "NOT_FOUND")
                try await api.patch("/api/groups/\(bob.groupId)", key: alice.key, body: ["name": "pwned"]).expectError(.notFound, "NOT_FOUND")
                try await api.delete("/api/groups/\(bob.groupId)", key: alice.key).expectError(.notFound, "NOT_FOUND")
                // Bob's IDs inside Alice's own writes.
                try await api.post("/api/connections", key: alice.key, body: ["fromId": .string(aliceThing), "toId": .string(bobThing), "type": "owns"])
                    .expectError(.notFound, "NOT_FOUND", field: "toId")
                try await api.post("/api/knowledge", key: alice.key, body: ["type": "chunk", "text": "x", "sourceThingId": .string(bobThing)])
                    .expectError(.notFound, "NOT_FOUND", field: "sourceThingId")
                try await api.post("/api/events", key: alice.key, body: ["type": "dashboard_viewed", "targetId": .string(bobThing)])
                    .expectError(.notFound, "NOT_FOUND", field: "targetId")
                try await api.post("/api/groups", key: alice.key, body: ["name": "Inside Bob", "parentGroupId": .string(bob.groupId)])
                    .expectError(.notFound, "NOT_FOUND", field: "parentGroupId")
                // Addressing Bob's group directly.
                for path in ["/api/things", "/api/people", "/api/events", "/api/knowledge", "/api/connections", "/api/keys"] {
                    try await api.get(path, key: alice.key, group: bob.groupId).expectError(.notFound, "NOT_FOUND")
                }
                try await api.post("/api/things", key: alice.key, group: bob.groupId, body: ["type": "course", "name": "x"])
                    .expectError(.notFound, "NOT_FOUND")
                try await api.post("/api/keys", key: alice.key, group: bob.groupId, body: ["name": "into bob", "role": "group_owner"])
                    .expectError(.notFound, "NOT_FOUND")
                try await api.post("/api/people", key: alice.key, group: bob.groupId, body: ["email": "spy@alice.example"])
                    .expectError(.notFound, "NOT_FOUND")
                try await api.post("/api/events", key: alice.key, group: bob.groupId, body: ["type": "dashboard_viewed"])
                    .expectError(.notFound, "NOT_FOUND")
            }
            // Lists never show the other tenant's rows.
            let aliceLists = ["/api/things", "/api/events", "/api/knowledge", "/api/connections", "/api/people", "/api/groups", "/api/keys"]
            let bobIds: Set<String> = [bobThing, bobOther, bobConnection, bobKnowledge, bobPerson, bobEvent, bob.groupId, bobKey]
            for path in aliceLists {
                let reply = try await api.get(path, key: alice.key)
                try reply.expect(.ok)
                #expect(Set(reply.ids).isDisjoint(with: bobIds), "\(path) leaked")
            }
            // An unknown group answers exactly like another tenant's.
            let unknown = try await api.get("/api/things", key: alice.key, group: "grp_00000000000000000000000000")
            let other = try await api.get("/api/things", key: alice.key, group: bob.groupId)
            #expect(unknown.json == other.json)
        }
    }

    @Test("a group owner reaches descendant groups through X-Group-Id, and nothing above or beside", arguments: TestStore.available)
    func nestedReach(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let parent = try await server.makeTenant(name: "Parent")
            let child = try #require(
                try await api.post("/api/groups", key: parent.key, body: ["name": "Child"]).expect(.created)["_id"]?.stringValue)
            let grandchild = try #require(
                try await api.post("/api/groups", key: parent.key, group: child, body: ["name": "Grandchild"]).expect(.created)["_id"]?.stringValue)
            let created = try await api.get("/api/groups/\(grandchild)", key: parent.key).expect(.ok)
            #expect(created["parentGroupId"]?.stringValue == child)
            let thing = try await api.post("/api/things", key: parent.key, group: grandchild, body: ["type": "course", "name": "deep"]).expect(.created)
            #expect(thing["groupId"]?.stringValue == grandchild)
            #expect(try await api.get("/api/groups/\(parent.groupId)/children", key: parent.key).ids == [child])
            #expect(Set(try await api.get("/api/groups", key: parent.key).ids) == [parent.groupId, child, grandchild])

            let childOwner = try await server.makeKey(in: child, role: .groupOwner)
            try await api.get("/api/things", key: childOwner.key, group: parent.groupId).expectError(.notFound, "NOT_FOUND")
            try await api.get("/api/groups/\(parent.groupId)", key: childOwner.key).expectError(.notFound, "NOT_FOUND")
            let childUser = try await server.makeKey(in: child, role: .groupUser)
            try await api.get("/api/things", key: childUser.key, group: grandchild).expectError(.notFound, "NOT_FOUND")
            try await api.get("/api/things", key: childOwner.key, group: "not-a-group").expectError(.badRequest, "INVALID_ID")
        }
    }
}
