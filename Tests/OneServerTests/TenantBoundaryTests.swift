import Foundation
import HTTPTypes
import HummingbirdTesting
import OneCore
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where one tenant's bounds meet another's, or its parent's: quotas over a subtree, archives
/// that freeze one, an audit log that stays readable, roles that follow the person, identities
/// that stay inside the tenant, updates that change nothing, numbers that keep their digits,
/// and connections that cannot be held open for free.
@Suite("Tenant boundary")
struct TenantBoundaryTests {
    // MARK: 1. Subtree quotas

    @Test("a group's limits bound its whole subtree: children's records count", arguments: TestStore.available)
    func subtreeQuota(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant(settings: ["limits": ["things": 2]])
            let child = try await Self.makeChild(server, tenant, name: "Child")
            let inChild = Credentials(key: tenant.key, groupId: child)
            try await server.makeThing(tenant, name: "in tenant")
            try await server.makeThing(inChild, name: "in child")
            try await server.expectUnchanged(child) {
                try await api.post("/api/things", key: tenant.key, group: child, body: ["type": "course", "name": "one too many"])
                    .expectError(.forbidden, "QUOTA_EXCEEDED")
            }
            try await server.expectUnchanged(tenant.groupId) {
                try await api.post("/api/things", key: tenant.key, body: ["type": "course", "name": "one too many"])
                    .expectError(.forbidden, "QUOTA_EXCEEDED")
            }
        }
    }

    @Test("a grandchild's records count against the top group's limit too", arguments: TestStore.available)
    func grandchildCounts(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant(settings: ["limits": ["things": 2]])
            let child = try await Self.makeChild(server, tenant, name: "Child")
            let grandchild = try await Self.makeChild(server, tenant, name: "Grandchild", parent: child)
            try await server.makeThing(Credentials(key: tenant.key, groupId: grandchild), name: "deep down")
            try await server.makeThing(tenant, name: "at the top")
            for group in [tenant.groupId, child, grandchild] {
                try await server.expectUnchanged(group) {
                    try await api.post("/api/things", key: tenant.key, group: group, body: ["type": "course", "name": "one too many"])
                        .expectError(.forbidden, "QUOTA_EXCEEDED")
                }
            }
        }
    }

    @Test("a groups limit counts descendant groups at any depth", arguments: TestStore.available)
    func groupsLimit(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant(settings: ["limits": ["groups": 1]])
            let child = try await Self.makeChild(server, tenant, name: "First")
            try await api.post("/api/groups", key: tenant.key, body: ["name": "Second"]).expectError(.forbidden, "QUOTA_EXCEEDED")
            try await api.post("/api/groups", key: tenant.key, body: ["name": "Grandchild", "parentGroupId": .string(child)])
                .expectError(.forbidden, "QUOTA_EXCEEDED")
            // Nothing was made.
            #expect(try await api.get("/api/groups/\(tenant.groupId)/children", key: tenant.key).okJSON["count"] == 1)
            #expect(try await api.get("/api/groups/\(child)/children", key: tenant.key).okJSON["count"] == 0)
        }
    }

    @Test("concurrent creates across a group and its child never overshoot the subtree limit", arguments: TestStore.available)
    func concurrentSubtreeCreates(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant(settings: ["limits": ["things": 10]])
            let child = try await Self.makeChild(server, tenant, name: "Child")
            let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                for index in 0..<30 {
                    group.addTask {
                        try await api.post(
                            "/api/things", key: tenant.key, group: index.isMultiple(of: 2) ? tenant.groupId : child,
                            body: ["type": "course", "name": .string("c\(index)")])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.filter { $0.status == .created }.count == 10)
            #expect(replies.filter { $0.status == .forbidden && $0.code == "QUOTA_EXCEEDED" }.count == 20)
            let inTenant = try await api.get("/api/things?limit=100", key: tenant.key).results.count
            let inChild = try await api.get("/api/things?limit=100", key: tenant.key, group: child).results.count
            #expect(inTenant + inChild == 10)
        }
    }

    @Test("GET /api/groups/:id/usage shows own and subtree counts beside the limits", arguments: TestStore.available)
    func usage(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant(settings: ["limits": ["things": 2]])
            let child = try await Self.makeChild(server, tenant, name: "Child")
            try await server.makeThing(tenant, name: "in tenant")
            let childThing = try await server.makeThing(Credentials(key: tenant.key, groupId: child), name: "in child")

            try await api.get("/api/groups/not-a-group/usage", key: tenant.key).expectError(.badRequest, "INVALID_ID", field: "id")
            try await api.get("/api/groups/\(tenant.groupId)/usage", key: nil).expectError(.unauthorized, "UNAUTHENTICATED")
            let usage = try await api.get("/api/groups/\(tenant.groupId)/usage", key: tenant.key).okJSON
            #expect(usage["groupId"]?.stringValue == tenant.groupId)
            #expect(usage["limits"] == ["things": 2])
            let keys: Set<String> = ["groups", "things", "connections", "knowledge", "people"]
            #expect(Self.memberNames(usage["own"]) == keys)
            #expect(Self.memberNames(usage["subtree"]) == keys)
            #expect(usage["own"]?["things"] == 1)
            #expect(usage["subtree"]?["things"] == 2)
            #expect(usage["own"]?["groups"] == 1)
            #expect(usage["subtree"]?["groups"] == 1)

            let childUsage = try await api.get("/api/groups/\(child)/usage", key: tenant.key).okJSON
            #expect(childUsage["groupId"]?.stringValue == child)
            #expect(childUsage["limits"] == [:])
            #expect(childUsage["own"]?["things"] == 1)
            #expect(childUsage["subtree"]?["things"] == 1)
            #expect(childUsage["own"]?["groups"] == 0)

            // Archiving a thing gives its place back.
            try await api.delete("/api/things/\(childThing)", key: tenant.key, group: child).expect(.ok)
            let after = try await api.get("/api/groups/\(tenant.groupId)/usage", key: tenant.key).okJSON
            #expect(after["subtree"]?["things"] == 1)

            // Another tenant learns nothing.
            let other = try await server.makeTenant()
            try await api.get("/api/groups/\(tenant.groupId)/usage", key: other.key).expectError(.notFound, "NOT_FOUND")
        }
    }

    // MARK: 2. An archived group freezes its subtree

    @Test("an archived group refuses every write in it and below it, and reads go on", arguments: TestStore.available)
    func archivedSubtreeFrozen(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let child = try await Self.makeChild(server, tenant, name: "Child")
            try await api.delete("/api/groups/\(tenant.groupId)", key: server.platform.key).expect(.ok)

            try await server.expectUnchanged(tenant.groupId) {
                try await api.post("/api/things", key: tenant.key, body: ["type": "course", "name": "x"]).expectError(.conflict, "GROUP_ARCHIVED")
                try await api.post("/api/keys", key: tenant.key, body: ["name": "k"]).expectError(.conflict, "GROUP_ARCHIVED")
                try await api.post("/api/people", key: tenant.key, body: ["email": "late@example.com"]).expectError(.conflict, "GROUP_ARCHIVED")
                try await api.post("/api/events", key: tenant.key, body: ["type": "profile_updated"]).expectError(.conflict, "GROUP_ARCHIVED")
            }
            try await server.expectUnchanged(child) {
                try await api.post("/api/things", key: tenant.key, group: child, body: ["type": "course", "name": "x"])
                    .expectError(.conflict, "GROUP_ARCHIVED")
                try await api.patch("/api/groups/\(child)", key: tenant.key, body: ["description": "changed"])
                    .expectError(.conflict, "GROUP_ARCHIVED")
            }
            try await api.post("/api/groups", key: tenant.key, body: ["name": "Another"]).expectError(.conflict, "GROUP_ARCHIVED")
            #expect(try await api.get("/api/groups/\(tenant.groupId)/children", key: tenant.key).okJSON["count"] == 1)
            #expect(try await api.get("/api/groups/\(child)", key: tenant.key).okJSON["description"] == nil)

            // Reads still answer.
            try await api.get("/api/things", key: tenant.key).expect(.ok)
            try await api.get("/api/groups/\(child)", key: tenant.key).expect(.ok)

            // Restored, the subtree takes writes again.
            try await api.patch("/api/groups/\(tenant.groupId)", key: server.platform.key, body: ["status": "active"]).expect(.ok)
            try await server.makeThing(tenant, name: "after restore")
            try await server.makeThing(Credentials(key: tenant.key, groupId: child), name: "after restore")
        }
    }

    @Test("a key homed in an archived group can only read, even where it reaches", arguments: TestStore.available)
    func keyOfArchivedGroupReadsOnly(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let second = try #require(
                try await api.post("/api/groups", key: server.platform.key, body: ["name": "Second platform group", "type": "business"])
                    .expect(.created)["_id"]?.stringValue)
            let key = try await server.makeKey(in: second, role: .platformOwner)
            try await api.delete("/api/groups/\(second)", key: server.platform.key).expect(.ok)
            try await server.expectUnchanged(server.platform.groupId) {
                try await api.post("/api/things", key: key.key, group: server.platform.groupId, body: ["type": "course", "name": "x"])
                    .expectError(.conflict, "GROUP_ARCHIVED")
            }
            try await api.get("/api/things", key: key.key, group: server.platform.groupId).expect(.ok)
        }
    }

    // MARK: 3. The audit log stays readable

    @Test("a record as deep as the parser accepts leaves an audit log that still reads", arguments: TestStore.available)
    func deepRecordsKeepTheLogReadable(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            // The deepest body accepted: `properties` nested `levels` objects deep, the body one more.
            var created: (id: String, levels: Int)?
            for levels in stride(from: 300, through: 2, by: -1) {
                let properties = String(repeating: #"{"a":"#, count: levels - 1) + "{}" + String(repeating: "}", count: levels - 1)
                let reply = try await api.request(
                    .post, "/api/things", key: tenant.key, rawBody: #"{"type":"course","name":"deep","properties":"# + properties + "}")
                if reply.status == .created {
                    created = (try #require(reply["_id"]?.stringValue), levels)
                    break
                }
                reply.expectError(.badRequest, "INVALID_JSON")
            }
            let (id, levels) = try #require(created)
            #expect(levels + 1 == 256, "the deepest accepted body should be 256 levels deep")

            let timeline = try await api.get("/api/events/timeline", key: tenant.key)
            #expect(timeline.status == .ok, "timeline: \(timeline.text.prefix(300))")
            #expect(timeline.results.contains { $0["type"] == "thing_created" && $0["targetId"]?.stringValue == id })
            let list = try await api.get("/api/events?limit=100", key: tenant.key)
            #expect(list.status == .ok, "events: \(list.text.prefix(300))")
            #expect(list.results.contains { $0["type"] == "thing_created" && $0["targetId"]?.stringValue == id })
            let history = try await api.get("/api/things/\(id)/events", key: tenant.key)
            #expect(history.status == .ok, "history: \(history.text.prefix(300))")
            #expect(history.results.contains { $0["type"] == "thing_created" })
        }
    }

    // MARK: 4. Demotion demotes

    @Test("a key bound to a person acts with no more than the person's current role", arguments: TestStore.available)
    func demotionDemotes(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let person = try #require(
                try await api.post("/api/people", key: tenant.key, body: ["email": "d@example.com", "role": "group_owner"])
                    .expect(.created)["_id"]?.stringValue)
            let bound = try await server.makeKey(in: tenant.groupId, role: .groupOwner, extra: ["personId": .string(person)])
            try await api.patch("/api/people/\(person)", key: bound.key, body: ["bio": "before"]).expect(.ok)

            try await api.patch("/api/people/\(person)", key: server.platform.key, group: tenant.groupId, body: ["role": "group_user"])
                .expect(.ok)
            try await server.expectUnchanged(tenant.groupId) {
                try await api.patch("/api/people/\(person)", key: bound.key, body: ["role": "group_owner"]).expectError(.forbidden, "FORBIDDEN")
                try await api.post("/api/keys", key: bound.key, body: ["name": "escape"]).expectError(.forbidden, "FORBIDDEN")
                try await api.post("/api/groups", key: bound.key, body: ["name": "Escape"]).expectError(.forbidden, "FORBIDDEN")
            }
            #expect(try await api.get("/api/people/\(person)", key: tenant.key).okJSON["role"] == "group_user")
            #expect(try await api.get("/api/groups/\(tenant.groupId)/children", key: tenant.key).okJSON["count"] == 0)
            try await api.get("/api/things", key: bound.key).expect(.ok)
            try await api.post("/api/things", key: bound.key, body: ["type": "course", "name": "still a user"]).expect(.created)

            try await api.delete("/api/people/\(person)", key: server.platform.key, group: tenant.groupId).expect(.ok)
            try await api.get("/api/things", key: bound.key).expectError(.unauthorized, "UNAUTHENTICATED")
        }
    }

    // MARK: 5. No tenant learns identities outside it

    @Test("inviting an email another tenant knows reveals nothing of that tenant's person", arguments: TestStore.available)
    func identitiesStayInside(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let alice = try await server.makeTenant()
            let bob = try await server.makeTenant()
            let inBob = try await api.post("/api/people", key: bob.key, body: ["email": "x@example.com"]).expect(.created)
            let bobsId = try #require(inBob["_id"]?.stringValue)
            try await Task.sleep(for: .milliseconds(5))

            let before = server.service.clock.now()
            let inAlice = try await api.post("/api/people", key: alice.key, body: ["email": "x@example.com"]).expect(.created)
            let alicesId = try #require(inAlice["_id"]?.stringValue)
            #expect(alicesId != bobsId, "alice's tenant was given bob's tenant's person ID")
            #expect((inAlice["createdAt"]?.integerValue ?? 0) >= Int(before), "createdAt predates alice's invitation")
            #expect(inAlice["createdAt"] != inBob["createdAt"])
            let fresh = try await api.post("/api/people", key: alice.key, body: ["email": "fresh@example.com"]).expect(.created)
            #expect(Self.memberNames(inAlice) == Self.memberNames(fresh))

            let minted = try await api.post(
                "/api/keys", key: alice.key, body: ["name": "k", "role": "group_user", "personId": .string(alicesId)]
            ).expect(.created)
            let boundKey = try #require(minted["key"]?.stringValue)
            let event = try await api.post("/api/events", key: boundKey, body: ["type": "profile_updated"]).expect(.created)
            #expect(event["actorId"]?.stringValue == alicesId)
            #expect(event["actorId"]?.stringValue != bobsId)

            try await server.expectUnchanged(alice.groupId) {
                try await api.post("/api/keys", key: alice.key, body: ["name": "k2", "personId": .string(bobsId)])
                    .expectError(.notFound, "NOT_FOUND", field: "personId")
            }
        }
    }

    // MARK: 6. An update that changes nothing writes nothing

    @Test("a PATCH that changes nothing keeps updatedAt and writes no event", arguments: TestStore.available)
    func noOpUpdatesWriteNothing(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let thing = try await server.makeThing(tenant, name: "Same")
            let child = try await Self.makeChild(server, tenant, name: "Child")
            let person = try #require(
                try await api.post("/api/people", key: tenant.key, body: ["email": "same@example.com", "name": "Same"])
                    .expect(.created)["_id"]?.stringValue)
            try await Task.sleep(for: .milliseconds(5))

            let thingBefore = try await api.get("/api/things/\(thing)", key: tenant.key).okJSON
            let tenantSequence = try await server.lastSequence(in: tenant.groupId)
            let thingAfter = try await api.patch("/api/things/\(thing)", key: tenant.key, body: ["name": "Same"]).okJSON
            #expect(thingAfter["updatedAt"] == thingBefore["updatedAt"])
            #expect(thingAfter["name"] == "Same")
            #expect(try await server.lastSequence(in: tenant.groupId) == tenantSequence, "a no-op thing update wrote an event")

            let groupBefore = try await api.get("/api/groups/\(child)", key: tenant.key).okJSON
            let childSequence = try await server.lastSequence(in: child)
            let groupAfter = try await api.patch("/api/groups/\(child)", key: tenant.key, body: ["name": "Child"]).okJSON
            #expect(groupAfter["updatedAt"] == groupBefore["updatedAt"])
            #expect(try await server.lastSequence(in: child) == childSequence, "a no-op group update wrote an event")

            let personBefore = try await api.get("/api/people/\(person)", key: tenant.key).okJSON
            let sequence = try await server.lastSequence(in: tenant.groupId)
            let personAfter = try await api.patch("/api/people/\(person)", key: tenant.key, body: ["name": "Same"]).okJSON
            #expect(personAfter["updatedAt"] == personBefore["updatedAt"])
            #expect(try await server.lastSequence(in: tenant.groupId) == sequence, "a no-op person update wrote an event")
        }
    }

    // MARK: 7. Integers keep their precision

    @Test("numbers come back with the digits they were sent with", arguments: TestStore.available)
    func integersKeepPrecision(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let body = #"{"type":"course","name":"n","properties":{"big":9007199254740993,"max":9223372036854775807,"min":-9223372036854775808,"e16":10000000000000000,"f":0.1,"neg":-12.5}}"#
            let created = try await api.request(.post, "/api/things", key: tenant.key, rawBody: body).expect(.created)
            let id = try #require(created["_id"]?.stringValue)
            let read = try await api.get("/api/things/\(id)", key: tenant.key)
            try read.expect(.ok)
            for literal in [
                #""big":9007199254740993"#, #""max":9223372036854775807"#, #""min":-9223372036854775808"#,
                #""e16":10000000000000000"#, #""f":0.1"#, #""neg":-12.5"#,
            ] {
                #expect(read.text.contains(literal), "GET /api/things/:id lost \(literal): \(read.text)")
            }
            let history = try await api.get("/api/things/\(id)/events", key: tenant.key)
            try history.expect(.ok)
            #expect(history.text.contains("9007199254740993"), "the event's change lost a digit: \(history.text)")
        }
    }

    // MARK: 8. Slow clients are closed

    @Test("a client that never finishes its request head is disconnected", arguments: TestStore.available)
    func slowClientsClosed(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let port = try #require(server.api.client.port)
            let connection = try RawConnection(port: port)
            connection.send("GET /health HTTP/1.1\r\nHost: x\r\n")
            let outcome = await connection.readUntilClosed(limit: .seconds(15))
            #expect(outcome.closed, "the server held a half-sent request open for 15 s")
        }
    }

    // MARK: Helpers

    /// The member names of an object (empty for anything else).
    static func memberNames(_ value: JSONValue?) -> Set<String> {
        Set(value?.objectValue.map { Array($0.keys) } ?? [])
    }

    /// A child group made by `credentials` (under its group, or under `parent`); returns its ID.
    static func makeChild(_ server: TestServer, _ credentials: Credentials, name: String, parent: String? = nil) async throws -> String {
        var body: [String: JSONValue] = ["name": .string(name)]
        if let parent { body["parentGroupId"] = .string(parent) }
        let group = try await server.api.post("/api/groups", key: credentials.key, body: .object(body)).expect(.created)
        return try #require(group["_id"]?.stringValue)
    }
}
