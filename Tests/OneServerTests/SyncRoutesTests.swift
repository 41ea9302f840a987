import HTTPTypes
import OneCore
import Testing

@Suite("Sync from other systems")
struct SyncRoutesTests {
    static let secretHeader = HTTPField.Name("X-Sync-Secret")!

    static func outcomes(_ reply: JSONValue) -> [String] {
        (reply.objectValue?["results"]?.arrayValue ?? []).compactMap { $0.objectValue?["outcome"]?.stringValue }
    }

    static func ids(_ reply: JSONValue) -> [String] {
        (reply.objectValue?["results"]?.arrayValue ?? []).compactMap { $0.objectValue?["_id"]?.stringValue }
    }

    @Test("the same batch sent twice creates once, then reports unchanged and writes no event", arguments: TestStore.available)
    func idempotent(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let syncKey = try await server.makeKey(in: tenant.groupId, role: .groupOwner, permissions: ["sync", "things:*", "connections:*", "knowledge:*", "people:*"])
            let things: JSONValue = ["records": [
                ["externalId": "c-1", "source": "lms", "type": "course", "name": "Engines", "properties": ["level": 1, "meta": ["a": 1, "b": 2]]],
                ["externalId": "l-1", "source": "lms", "type": "lesson", "name": "Gears"],
                ["externalId": "l-1", "source": "cms", "type": "lesson", "name": "Same ID, other system"],
            ]]
            let first = try await api.post("/api/sync/things", key: syncKey.key, body: things).expect(.ok)
            #expect(Self.outcomes(first) == ["created", "created", "created"])
            #expect(first["created"] == 3)
            let people: JSONValue = ["records": [["externalId": "u-9", "source": "lms", "email": "student@example.com", "name": "Stu"]]]
            let invited = try await api.post("/api/sync/people", key: syncKey.key, body: people).expect(.ok)
            #expect(Self.outcomes(invited) == ["created"], "\(invited)")
            let connections: JSONValue = ["records": [
                ["externalId": "e-1", "source": "lms", "type": "part_of", "fromExternalId": "l-1", "toExternalId": "c-1"],
                ["externalId": "e-2", "source": "lms", "type": "enrolled_in", "fromExternalId": "u-9", "toExternalId": "c-1"],
            ]]
            let linked = try await api.post("/api/sync/connections", key: syncKey.key, body: connections).expect(.ok)
            #expect(Self.outcomes(linked) == ["created", "created"])
            let knowledge: JSONValue = ["records": [
                ["externalId": "k-1", "source": "lms", "type": "document", "text": "How gears mesh", "sourceExternalId": "l-1"],
            ]]
            #expect(Self.outcomes(try await api.post("/api/sync/knowledge", key: syncKey.key, body: knowledge).expect(.ok)) == ["created"])

            let sequence = try await server.lastSequence(in: tenant.groupId)
            let again = try await api.post("/api/sync/things", key: syncKey.key, body: things).expect(.ok)
            #expect(Self.outcomes(again) == ["unchanged", "unchanged", "unchanged"])
            #expect(Self.ids(again) == Self.ids(first), "each record keeps its ID")
            #expect(Self.outcomes(try await api.post("/api/sync/people", key: syncKey.key, body: people).expect(.ok)) == ["unchanged"])
            #expect(Self.outcomes(try await api.post("/api/sync/connections", key: syncKey.key, body: connections).expect(.ok)) == ["unchanged", "unchanged"])
            #expect(Self.outcomes(try await api.post("/api/sync/knowledge", key: syncKey.key, body: knowledge).expect(.ok)) == ["unchanged"])
            #expect(try await server.lastSequence(in: tenant.groupId) == sequence, "a retried batch writes no event")
            #expect(try await api.get("/api/things?limit=100", key: tenant.key).ids.count == 3)

            // A change is an update in place, with its event; properties are replaced, not merged.
            let changed: JSONValue = ["records": [
                ["externalId": "c-1", "source": "lms", "type": "course", "name": "Engines II", "properties": ["meta": ["a": 1]]],
            ]]
            let updated = try await api.post("/api/sync/things", key: syncKey.key, body: changed).expect(.ok)
            #expect(Self.outcomes(updated) == ["updated"])
            let course = try await api.get("/api/things/\(Self.ids(first)[0])", key: tenant.key).expect(.ok)
            #expect(course["name"] == "Engines II")
            #expect(course["properties"] == ["meta": ["a": 1]])
            let events = try await api.get("/api/events?limit=100", key: tenant.key).results
                .filter { ($0["sequence"]?.integerValue ?? 0) > Int(sequence) }.compactMap { $0["type"]?.stringValue }
            #expect(events == ["thing_updated"])

            // A record archived here is made again by the next sync of it, and the link follows.
            try await api.delete("/api/things/\(Self.ids(first)[1])", key: tenant.key).expect(.ok)
            let revived = try await api.post("/api/sync/things", key: syncKey.key, body: things).expect(.ok)
            #expect(Self.outcomes(revived) == ["updated", "created", "unchanged"])
            #expect(Self.ids(revived)[1] != Self.ids(first)[1])
            #expect(Self.outcomes(try await api.post("/api/sync/things", key: syncKey.key, body: things).expect(.ok)) == ["unchanged", "unchanged", "unchanged"])
        }
    }

    @Test("one bad record fails alone, named by its index; a batch past 500 is refused whole", arguments: TestStore.available)
    func recordErrors(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let reply = try await api.post("/api/sync/things", key: tenant.key, body: ["records": [
                ["externalId": "a", "source": "crm", "type": "lead", "name": "Ann"],
                ["externalId": "b", "source": "crm", "type": "no_such_type", "name": "Bob"],
                ["source": "crm", "type": "lead", "name": "No ID"],
                ["externalId": "a", "source": "crm", "type": "lead", "name": "Ann again"],
                ["externalId": "c", "source": "crm", "type": "lead", "name": "Cy", "colour": "red"],
                ["externalId": "d", "source": "crm", "type": "lead", "name": "Di"],
            ]]).expect(.ok)
            #expect(Self.outcomes(reply) == ["created", "error", "error", "error", "error", "created"])
            let errors = (reply.objectValue?["results"]?.arrayValue ?? []).map { $0.objectValue?["error"]?.objectValue?["field"]?.stringValue }
            #expect(errors == [nil, "records[1].type", "records[2].externalId", "records[3].externalId", "records[4].colour", nil])
            #expect(reply["errors"] == 4)
            #expect(try await api.get("/api/things", key: tenant.key).ids.count == 2)

            let narrow = try await server.makeKey(in: tenant.groupId, role: .groupOwner, permissions: ["things:*"])
            try await server.expectUnchanged(tenant.groupId) {
                let tooMany = JSONValue.array((0...500).map { ["externalId": .string("x\($0)"), "source": "crm", "type": "lead", "name": "x"] })
                try await api.post("/api/sync/things", key: tenant.key, body: ["records": tooMany])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "records")
                try await api.post("/api/sync/planets", key: tenant.key, body: ["records": []])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "dimension")
                try await api.post("/api/sync/things", key: tenant.key, body: ["records": []])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "records")
                try await api.post("/api/sync/things", key: tenant.key, body: ["records": "all"])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "records")
                try await api.post("/api/sync/things", key: tenant.key, body: ["rows": []])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "rows")
                let notObject = try await api.post("/api/sync/things", key: tenant.key, body: ["records": [7]]).expect(.ok)
                #expect(notObject.objectValue?["results"]?.arrayValue?.first?.objectValue?["error"]?.objectValue?["field"] == "records[0]")
                let unknownEnd = try await api.post("/api/sync/connections", key: tenant.key, body: ["records": [
                    ["externalId": "e", "source": "crm", "type": "owns", "fromExternalId": "nobody", "toExternalId": "nothing"],
                ]]).expect(.ok)
                #expect(unknownEnd.objectValue?["results"]?.arrayValue?.first?.objectValue?["error"]?.objectValue?["field"] == "records[0].fromExternalId")
                try await api.post("/api/sync/things", key: narrow.key, body: ["records": [["externalId": "z", "source": "crm", "type": "lead", "name": "Z"]]])
                    .expectError(.forbidden, "FORBIDDEN")
            }
        }
    }

    @Test("a group's sync secret syncs into that group alone, and stops working once rotated or revoked", arguments: TestStore.available)
    func syncSecret(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let other = try await server.makeTenant()
            let user = try await server.makeKey(in: tenant.groupId, role: .groupUser)
            try await api.post("/api/groups/\(tenant.groupId)/sync-secret", key: user.key, body: [:]).expectError(.forbidden, "FORBIDDEN")
            try await api.post("/api/groups/\(other.groupId)/sync-secret", key: tenant.key, body: [:]).expectError(.notFound, "NOT_FOUND")
            let issued = try await api.post("/api/groups/\(tenant.groupId)/sync-secret", key: tenant.key, body: [:]).expect(.created)
            let secret = try #require(issued["secret"]?.stringValue)
            #expect(secret.hasPrefix("gss_"))

            let records: JSONValue = ["records": [["externalId": "p-1", "source": "shop", "type": "product", "name": "Mug"]]]
            let synced = try await api.request(.post, "/api/sync/things", key: nil, body: records, headers: [Self.secretHeader: secret]).expect(.ok)
            #expect(Self.outcomes(synced) == ["created"])
            #expect(try await api.get("/api/things", key: tenant.key).ids == Self.ids(synced))

            try await server.expectUnchanged(other.groupId) {
                try await api.request(.post, "/api/sync/things", key: nil, group: other.groupId, body: records, headers: [Self.secretHeader: secret])
                    .expectError(.notFound, "NOT_FOUND")
            }
            // A guess is refused before any write, and an unknown well-formed one alike.
            try await server.expectUnchanged(tenant.groupId) {
                for guess in ["not a secret", "gss_" + String(repeating: "a", count: 48)] {
                    try await api.request(.post, "/api/sync/things", key: nil, body: records, headers: [Self.secretHeader: guess])
                        .expectError(.unauthorized, "UNAUTHENTICATED")
                }
            }
            // The secret works on sync alone.
            try await api.request(.get, "/api/things", key: nil, headers: [Self.secretHeader: secret]).expectError(.unauthorized, "UNAUTHENTICATED")
            try await api.request(.post, "/api/sync/people", key: nil, body: ["records": [["externalId": "u", "source": "shop", "email": "u@example.com"]]], headers: [Self.secretHeader: secret])
                .expect(.ok)
            #expect(try await api.get("/api/people", key: tenant.key).ids.isEmpty, "a sync secret cannot add people")

            let rotated = try #require(try await api.post("/api/groups/\(tenant.groupId)/sync-secret", key: tenant.key, body: [:]).expect(.created)["secret"]?.stringValue)
            try await api.request(.post, "/api/sync/things", key: nil, body: records, headers: [Self.secretHeader: secret])
                .expectError(.unauthorized, "UNAUTHENTICATED")
            #expect(Self.outcomes(try await api.request(.post, "/api/sync/things", key: nil, body: records, headers: [Self.secretHeader: rotated]).expect(.ok)) == ["unchanged"])
            try await api.delete("/api/groups/\(tenant.groupId)/sync-secret", key: tenant.key).expect(.ok)
            try await api.request(.post, "/api/sync/things", key: nil, body: records, headers: [Self.secretHeader: rotated])
                .expectError(.unauthorized, "UNAUTHENTICATED")
            try await api.delete("/api/groups/\(tenant.groupId)/sync-secret", key: tenant.key).expectError(.notFound, "NOT_FOUND")
        }
    }
}
