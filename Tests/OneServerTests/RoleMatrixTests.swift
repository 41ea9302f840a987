import HTTPTypes
import OneCore
import Testing

/// backend-plan.md's role matrix, one request per cell (4 roles × 7 dimensions × read, create,
/// update, delete), for API keys and for signed-in sessions alike.
@Suite("Role matrix, keys and sessions")
struct RoleMatrixTests {
    enum Kind: String, CaseIterable, Sendable { case key, session }

    /// What each role may do, written out from the plan rather than computed.
    static let allowed: [Role: [Resource: Set<Action>]] = [
        .platformOwner: Dictionary(uniqueKeysWithValues: Resource.allCases.map { ($0, [.read, .create, .update, .delete]) }),
        .groupOwner: Dictionary(uniqueKeysWithValues: Resource.allCases.map { ($0, [.read, .create, .update, .delete]) }),
        .groupUser: [
            .groups: [.read], .people: [.read], .things: [.read, .create, .update, .delete], .connections: [.read, .create],
            .events: [.read, .create], .knowledge: [.read, .create], .keys: [],
        ],
        .customer: [.people: [.read], .things: [.read], .connections: [.read]],
    ]

    /// A caller of one role in the tenant group: a key, or a session of a person invited with that role.
    static func caller(_ role: Role, _ kind: Kind, tenant: Credentials, server: TestServer) async throws -> (HTTPFields, String?) {
        let home = role == .platformOwner ? server.platform : tenant
        switch kind {
        case .key:
            let key = role == .platformOwner ? server.platform.key : try await server.makeKey(in: tenant.groupId, role: role).key
            return ([HTTPField.Name("X-API-Key")!: key], role == .platformOwner ? tenant.groupId : nil)
        case .session:
            let email = "\(role.rawValue)-\(Int.random(in: 0..<1_000_000))@example.com"
            try await server.api.post("/api/people", key: home.key, group: home.groupId, body: ["email": .string(email), "role": .string(role.rawValue)])
                .expect(.created)
            let invitation = try await server.mailedToken(to: email, subject: "invited")
            let reply = try await server.api.request(
                .post, "/api/auth/signup", key: nil,
                body: ["email": .string(email), "password": .string(TestServer.password), "invitation": .string(invitation)])
            let token = try #require(try reply.expect(.created).objectValue?["session"]?.objectValue?["token"]?.stringValue)
            return ([.authorization: "Bearer \(token)"], role == .platformOwner ? tenant.groupId : nil)
        }
    }

    @Test("each cell answers as the matrix says, for keys and sessions", arguments: Kind.allCases)
    func matrix(kind: Kind) async throws {
        try await TestServer.run { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            var checked = 0
            for role in Role.allCases {
                let (auth, group) = try await Self.caller(role, kind, tenant: tenant, server: server)
                func call(_ method: HTTPRequest.Method, _ path: String, _ body: JSONValue? = nil) async throws -> Reply {
                    try await api.request(method, path, key: nil, group: group, body: body, headers: auth)
                }
                // Fresh targets for this role, made by the tenant's owner.
                let owner = tenant.key
                let child = try #require(try await api.post("/api/groups", key: owner, body: ["name": .string("Child \(role.rawValue)")]).expect(.created)["_id"]?.stringValue)
                let person = try #require(try await api.post("/api/people", key: owner, body: ["email": .string("p\(checked)@x.example")]).expect(.created)["_id"]?.stringValue)
                let thing = try await server.makeThing(tenant)
                let other = try await server.makeThing(tenant)
                let connection = try #require(try await api.post("/api/connections", key: owner, body: ["fromId": .string(thing), "toId": .string(other), "type": "references"]).expect(.created)["_id"]?.stringValue)
                let knowledge = try #require(try await api.post("/api/knowledge", key: owner, body: ["type": "label", "text": "topic:x"]).expect(.created)["_id"]?.stringValue)
                let key = try #require(try await api.post("/api/keys", key: owner, body: ["name": "k", "role": "customer"]).expect(.created)["_id"]?.stringValue)
                // A group user edits only what it made: its own thing is the target of its edits.
                let editable = role == .groupUser
                    ? try #require(try await call(.post, "/api/things", ["type": "lesson", "name": "mine"]).expect(.created)["_id"]?.stringValue)
                    : try await server.makeThing(tenant, name: "disposable")
                let cells: [(Resource, Action, HTTPRequest.Method, String, JSONValue?)] = [
                    (.groups, .read, .get, "/api/groups/\(tenant.groupId)", nil),
                    (.groups, .create, .post, "/api/groups", ["name": .string("Another \(role.rawValue)"), "parentGroupId": .string(tenant.groupId)]),
                    (.groups, .update, .patch, "/api/groups/\(child)", ["description": "d"]),
                    (.groups, .delete, .delete, "/api/groups/\(child)", nil),
                    (.people, .read, .get, "/api/people", nil),
                    (.people, .create, .post, "/api/people", ["email": .string("n\(checked)@x.example")]),
                    (.people, .update, .patch, "/api/people/\(person)", ["name": "Renamed"]),
                    (.people, .delete, .delete, "/api/people/\(person)", nil),
                    (.things, .read, .get, "/api/things/\(thing)", nil),
                    (.things, .create, .post, "/api/things", ["type": "lesson", "name": "l"]),
                    (.things, .update, .patch, "/api/things/\(editable)", ["name": "n"]),
                    (.things, .delete, .delete, "/api/things/\(editable)", nil),
                    (.connections, .read, .get, "/api/connections/\(connection)", nil),
                    (.connections, .create, .post, "/api/connections", ["fromId": .string(other), "toId": .string(thing), "type": "part_of"]),
                    (.connections, .delete, .delete, "/api/connections/\(connection)", nil),
                    (.events, .read, .get, "/api/events", nil),
                    (.events, .create, .post, "/api/events", ["type": "dashboard_viewed"]),
                    (.knowledge, .read, .get, "/api/knowledge/\(knowledge)", nil),
                    (.knowledge, .create, .post, "/api/knowledge", ["type": "label", "text": "skill:swift"]),
                    (.knowledge, .delete, .delete, "/api/knowledge/\(knowledge)", nil),
                    (.keys, .read, .get, "/api/keys", nil),
                    (.keys, .create, .post, "/api/keys", ["name": "k2", "role": "customer"]),
                    (.keys, .delete, .delete, "/api/keys/\(key)", nil),
                ]
                for (resource, action, method, path, body) in cells {
                    let reply = try await call(method, path, body)
                    let may = Self.allowed[role]?[resource]?.contains(action) ?? false
                    if may {
                        #expect((200..<300).contains(reply.status.code), "\(kind) \(role) \(action) \(resource): \(reply.status) \(reply.text)")
                    } else {
                        #expect(reply.status == .forbidden, "\(kind) \(role) \(action) \(resource): \(reply.status) \(reply.text)")
                    }
                    checked += 1
                }
                // Cells the API offers to no one: events are append-only; connections, knowledge
                // and keys are replaced, not edited.
                for (method, path) in [
                    (HTTPRequest.Method.patch, "/api/connections/\(connection)"), (.patch, "/api/knowledge/\(knowledge)"),
                    (.patch, "/api/keys/\(key)"), (.patch, "/api/events/\(connection)"), (.delete, "/api/events/\(connection)"),
                ] {
                    let reply = try await api.request(method, path, key: nil, group: group, body: method == .patch ? [:] : nil, headers: auth, undocumented: true)
                    #expect(reply.status == .notFound || reply.status == .methodNotAllowed, "\(kind) \(role) \(method) \(path)")
                    checked += 1
                }
            }
            #expect(checked == 4 * 28)
        }
    }
}
