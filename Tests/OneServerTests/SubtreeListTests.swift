import HTTPTypes
import OneCore
import Testing

@Suite("Lists across a subtree")
struct SubtreeListTests {
    @Test("includeChildren=true lists the groups below for owners, each record naming its group", arguments: TestStore.available)
    func includeChildren(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let parent = try await server.makeTenant()
            let child = try await server.makeTenant(parent: parent.groupId)
            let grandchild = try await server.makeTenant(parent: child.groupId)
            let sibling = try await server.makeTenant()
            let top = try await server.makeThing(parent, name: "Top")
            let middle = try await server.makeThing(child, name: "Middle")
            let bottom = try await server.makeThing(grandchild, name: "Bottom")
            _ = try await server.makeThing(sibling, name: "Elsewhere")

            #expect(try await api.get("/api/things", key: parent.key).ids == [top])
            let all = try await api.get("/api/things?includeChildren=true", key: parent.key)
            #expect(all.ids == [bottom, middle, top])
            #expect(all.results.map { $0["groupId"]?.stringValue } == [grandchild.groupId, child.groupId, parent.groupId])
            // From the middle of the tree: itself and below, never above.
            #expect(try await api.get("/api/things?includeChildren=true", key: parent.key, group: child.groupId).ids == [bottom, middle])
            #expect(try await api.get("/api/things?includeChildren=true&type=course&limit=1", key: parent.key).ids == [bottom])

            let events = try await api.get("/api/events?includeChildren=true&type=thing_created", key: parent.key)
            #expect(Set(events.results.compactMap { $0["targetId"]?.stringValue }) == [top, middle, bottom])
            #expect(try await api.get("/api/connections?includeChildren=true", key: parent.key).status == .ok)
            #expect(try await api.get("/api/knowledge?includeChildren=true", key: parent.key).status == .ok)
            let member = try await GraphRoutesTests.invite(server, child, "member@example.com")
            let people = try await api.get("/api/people?includeChildren=true", key: parent.key)
            #expect(people.ids.contains(member))
            #expect(!(try await api.get("/api/people", key: parent.key).ids.contains(member)))

            let user = try await server.makeKey(in: parent.groupId, role: .groupUser)
            try await api.get("/api/things?includeChildren=true", key: user.key).expectError(.forbidden, "FORBIDDEN", field: "includeChildren")
            try await api.get("/api/things?includeChildren=yes", key: parent.key).expectError(.badRequest, "VALIDATION_ERROR", field: "includeChildren")
            #expect(try await api.get("/api/things?includeChildren=true", key: sibling.key).ids.count == 1)
        }
    }
}
