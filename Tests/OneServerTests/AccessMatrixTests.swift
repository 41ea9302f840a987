import HTTPTypes
import OneCore
import Testing

/// backend-plan.md's role matrix, cell by cell, through the API with real keys.
@Suite("Access matrix")
struct AccessMatrixTests {
    /// One request and whether each role may make it. `owner: nil` cells are not run as the
    /// owner here (a repeat would conflict, or a delete would remove what others are refused).
    struct Cell: Sendable, CustomStringConvertible {
        let method: HTTPRequest.Method
        let path: String
        let body: JSONValue?
        let owner: Bool?
        let user: Bool
        let customer: Bool
        var description: String { "\(method) \(path)" }
    }

    @Test("each role gets exactly the cells the matrix gives it; refusals are 403 and write nothing", arguments: TestStore.available)
    func matrix(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let owner = try await server.makeTenant()
            let user = try await server.makeKey(in: owner.groupId, role: .groupUser)
            let customer = try await server.makeKey(in: owner.groupId, role: .customer)
            let ownersThing = try await server.makeThing(owner, name: "owner's")
            let usersThing = try await server.makeThing(user, name: "user's")
            let connection = try #require(
                try await api.post("/api/connections", key: owner.key, body: ["fromId": .string(ownersThing), "toId": .string(usersThing), "type": "references"])
                    .expect(.created)["_id"]?.stringValue)
            let knowledge = try #require(
                try await api.post("/api/knowledge", key: owner.key, body: ["type": "label", "text": "topic:ai"]).expect(.created)["_id"]?.stringValue)
            let group = owner.groupId
            let cells: [Cell] = [
                Cell(method: .get, path: "/api/groups/\(group)", body: nil, owner: true, user: true, customer: false),
                Cell(method: .get, path: "/api/groups", body: nil, owner: true, user: true, customer: false),
                Cell(method: .post, path: "/api/groups", body: ["name": "Sub"], owner: true, user: false, customer: false),
                Cell(method: .patch, path: "/api/groups/\(group)", body: ["description": "d"], owner: true, user: false, customer: false),
                Cell(method: .get, path: "/api/people", body: nil, owner: true, user: true, customer: true),
                Cell(method: .post, path: "/api/people", body: ["email": "new@x.example"], owner: true, user: false, customer: false),
                Cell(method: .get, path: "/api/things", body: nil, owner: true, user: true, customer: true),
                Cell(method: .get, path: "/api/things/\(ownersThing)", body: nil, owner: true, user: true, customer: true),
                Cell(method: .post, path: "/api/things", body: ["type": "lesson", "name": "l"], owner: true, user: true, customer: false),
                Cell(method: .patch, path: "/api/things/\(ownersThing)", body: ["name": "o2"], owner: true, user: false, customer: false),
                Cell(method: .patch, path: "/api/things/\(usersThing)", body: ["name": "u2"], owner: true, user: true, customer: false),
                Cell(method: .get, path: "/api/connections", body: nil, owner: true, user: true, customer: true),
                Cell(method: .post, path: "/api/connections", body: ["fromId": .string(usersThing), "toId": .string(ownersThing), "type": "part_of"], owner: nil, user: true, customer: false),
                Cell(method: .get, path: "/api/events", body: nil, owner: true, user: true, customer: false),
                Cell(method: .post, path: "/api/events", body: ["type": "dashboard_viewed"], owner: true, user: true, customer: false),
                Cell(method: .get, path: "/api/knowledge", body: nil, owner: true, user: true, customer: false),
                Cell(method: .post, path: "/api/knowledge", body: ["type": "label", "text": "skill:swift"], owner: true, user: true, customer: false),
                Cell(method: .get, path: "/api/keys", body: nil, owner: true, user: false, customer: false),
                Cell(method: .post, path: "/api/keys", body: ["name": "k", "role": "customer"], owner: true, user: false, customer: false),
                Cell(method: .delete, path: "/api/knowledge/\(knowledge)", body: nil, owner: nil, user: false, customer: false),
                Cell(method: .delete, path: "/api/connections/\(connection)", body: nil, owner: nil, user: false, customer: false),
            ]
            // Refusals first (owner-only deletes are checked for user and customer), then successes.
            let roles: [(Credentials, (Cell) -> Bool?)] = [(customer, { $0.customer }), (user, { $0.user }), (owner, { $0.owner })]
            for (credentials, allowed) in roles {
                for cell in cells {
                    guard let expected = allowed(cell) else { continue }
                    let reply = try await api.request(cell.method, cell.path, key: credentials.key, body: cell.body)
                    if expected {
                        #expect(reply.status.kind == .successful, "\(cell) as \(credentials.keyId ?? "") → \(reply.status) \(reply.json.jsonText())")
                    } else {
                        #expect(reply.status == .forbidden, "\(cell) should be refused: \(reply.status) \(reply.json.jsonText())")
                        #expect(reply.code == "FORBIDDEN")
                    }
                }
            }
            // The owner may delete what the others may not.
            try await api.delete("/api/knowledge/\(knowledge)", key: owner.key).expect(.ok)
            try await api.delete("/api/connections/\(connection)", key: owner.key).expect(.ok)
            // A customer reads only themself among people.
            #expect(try await api.get("/api/people", key: customer.key).ids.isEmpty)
        }
    }

    @Test("refused writes leave the store as it was", arguments: TestStore.available)
    func refusalsWriteNothing(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let owner = try await server.makeTenant()
            let customer = try await server.makeKey(in: owner.groupId, role: .customer)
            let user = try await server.makeKey(in: owner.groupId, role: .groupUser)
            let thing = try await server.makeThing(owner)
            try await server.expectUnchanged(owner.groupId) {
                try await server.api.post("/api/things", key: customer.key, body: ["type": "course", "name": "x"]).expectError(.forbidden, "FORBIDDEN")
                try await server.api.patch("/api/things/\(thing)", key: user.key, body: ["name": "x"]).expectError(.forbidden, "FORBIDDEN")
                try await server.api.delete("/api/things/\(thing)", key: user.key).expectError(.forbidden, "FORBIDDEN")
                try await server.api.post("/api/keys", key: user.key, body: ["name": "k"]).expectError(.forbidden, "FORBIDDEN")
                try await server.api.post("/api/keys", key: owner.key, body: ["name": "k", "role": "platform_owner"]).expectError(.forbidden, "FORBIDDEN")
                try await server.api.post("/api/people", key: owner.key, body: ["email": "boss@x.example", "role": "platform_owner"]).expectError(.forbidden, "FORBIDDEN")
            }
        }
    }

    @Test("a key's permissions narrow its role", arguments: TestStore.available)
    func permissions(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let owner = try await server.makeTenant()
            let reader = try await server.makeKey(in: owner.groupId, role: .groupOwner, permissions: ["things:read"])
            try await server.api.get("/api/things", key: reader.key).expect(.ok)
            try await server.expectUnchanged(owner.groupId) {
                try await server.api.post("/api/things", key: reader.key, body: ["type": "course", "name": "x"]).expectError(.forbidden, "FORBIDDEN")
                try await server.api.get("/api/events", key: reader.key).expectError(.forbidden, "FORBIDDEN")
                // Nor can it mint a key wider than itself.
                try await server.api.post("/api/keys", key: reader.key, body: ["name": "wide"]).expectError(.forbidden, "FORBIDDEN")
            }
            try await server.api.post("/api/keys", key: owner.key, body: ["name": "bad", "permissions": ["things:fly"]])
                .expectError(.badRequest, "VALIDATION_ERROR", field: "permissions")
        }
    }

    @Test("the platform owner lists every group and acts in any", arguments: TestStore.available)
    func platformOwner(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let a = try await server.makeTenant()
            let b = try await server.makeTenant()
            let ids = Set(try await server.api.get("/api/groups?limit=100", key: server.platform.key).ids)
            #expect(ids.isSuperset(of: [a.groupId, b.groupId, server.platform.groupId]))
            try await server.api.post("/api/things", key: server.platform.key, group: b.groupId, body: ["type": "course", "name": "x"]).expect(.created)
        }
    }
}
