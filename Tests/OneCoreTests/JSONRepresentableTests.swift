import Testing

@testable import OneCore

private let body = "01hx5z3k7m9pqrstvwxyz0abcd"

/// `json` (the hand-written wire form) must equal what the `Codable` conformance encodes.
private func expectSameAsCodable<T: JSONRepresentable & Encodable>(
    _ value: T, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let encoded = try JSONValue(encoding: value)
    #expect(value.json == encoded, sourceLocation: sourceLocation)
}

@Suite("JSONRepresentable matches Codable")
struct JSONRepresentableTests {
    @Test func thing() throws {
        try expectSameAsCodable(
            Thing(id: "thg_" + body, groupId: "grp_" + body, type: "course", name: "Intro", createdAt: 1, updatedAt: 2))
        try expectSameAsCodable(
            Thing(
                id: "thg_" + body, groupId: "grp_" + body, type: "course", name: "Intro",
                properties: ["a": [1, 2.5, nil, "x"], "b": ["c": true]], status: "published", createdBy: "usr_" + body,
                createdAt: 1_700_000_000_000, updatedAt: 1_700_000_000_001, deletedAt: 1_700_000_000_002))
    }

    @Test func connection() throws {
        try expectSameAsCodable(
            Connection(
                id: "con_" + body, groupId: "grp_" + body, fromId: "thg_" + body, toId: "thg_" + body, type: "owns",
                createdAt: 1, updatedAt: 1))
        try expectSameAsCodable(
            Connection(
                id: "con_" + body, groupId: "grp_" + body, fromId: "thg_" + body, toId: "thg_" + body, type: "owns",
                metadata: ["weight": 3], strength: 0.75, validFrom: 10, validTo: 20, createdBy: "usr_" + body,
                createdAt: 1, updatedAt: 2, deletedAt: 3))
        try expectSameAsCodable(
            Connection(
                id: "con_" + body, groupId: "grp_" + body, fromId: "thg_" + body, toId: "thg_" + body, type: "owns",
                strength: 1, createdAt: 1, updatedAt: 1))
    }

    @Test func knowledge() throws {
        try expectSameAsCodable(
            Knowledge(id: "knw_" + body, groupId: "grp_" + body, type: "label", createdAt: 1, updatedAt: 1))
        try expectSameAsCodable(
            Knowledge(
                id: "knw_" + body, groupId: "grp_" + body, type: "chunk", text: "Some text", labels: ["a", "b"],
                metadata: ["page": 4], sourceThingId: "thg_" + body, sourceField: "description", createdBy: "usr_" + body,
                createdAt: 1, updatedAt: 2, deletedAt: 3))
    }

    @Test func group() throws {
        try expectSameAsCodable(
            Group(id: "grp_" + body, slug: "acme", name: "Acme", type: "organization", createdAt: 1, updatedAt: 1))
        try expectSameAsCodable(
            Group(
                id: "grp_" + body, slug: "acme", name: "Acme", type: "organization", parentGroupId: "grp_" + body,
                description: "A company", metadata: ["x": 1],
                settings: GroupSettings(
                    visibility: .private, joinPolicy: .inviteOnly, plan: .enterprise,
                    limits: [.things: 100, .apiCalls: 5_000, .storage: 0]),
                status: .archived, createdAt: 1, updatedAt: 2))
    }

    @Test func groupSettingsReadBack() throws {
        let settings = GroupSettings(
            visibility: .public, joinPolicy: .approvalRequired, plan: .pro, limits: [.people: 5, .knowledge: 7])
        #expect(try GroupSettings(json: settings.json) == settings)
        #expect(try GroupSettings(json: GroupSettings().json) == GroupSettings())
        #expect(throws: OneError.self) { try GroupSettings(json: "not an object") }
    }

    @Test func person() throws {
        try expectSameAsCodable(
            Person(
                id: "usr_" + body, groupId: "grp_" + body, email: "a@example.com", name: "Ada", role: .groupUser,
                createdAt: 1, updatedAt: 1))
        try expectSameAsCodable(
            Person(
                id: "usr_" + body, groupId: "grp_" + body, email: "a@example.com", name: "Ada", username: "ada",
                bio: "Hi", avatar: "https://example.com/a.png", role: .platformOwner, permissions: ["things:read"],
                createdAt: 1, updatedAt: 2))
    }

    @Test func membership() throws {
        try expectSameAsCodable(
            Membership(
                id: "mem_" + body, personId: "usr_" + body, groupId: "grp_" + body, role: .customer,
                permissions: ["*"], createdAt: 1, updatedAt: 2))
    }

    @Test func event() throws {
        try expectSameAsCodable(
            Event(
                id: "evt_" + body, groupId: "grp_" + body, sequence: 1, type: "user_login", actorId: nil, targetId: nil,
                timestamp: 5))
        try expectSameAsCodable(
            Event(
                id: "evt_" + body, groupId: "grp_" + body, sequence: 42, type: "thing_updated", actorId: "usr_" + body,
                targetId: "thg_" + body, timestamp: 5, metadata: ["k": "v"],
                change: Change(before: ["name": "a"], after: ["name": "b"])))
    }

    @Test func change() throws {
        try expectSameAsCodable(Change())
        try expectSameAsCodable(Change(after: ["a": 1]))
        try expectSameAsCodable(Change(before: ["a": nil], after: ["a": 2.5]))
        let change = Change(before: ["a": 1], after: ["a": 2])
        #expect(Change(json: change.json) == change)
        #expect(Change(json: Change(after: ["x": true]).json) == Change(after: ["x": true]))
    }

    @Test func apiKey() throws {
        try expectSameAsCodable(
            APIKey(
                id: "key_" + body, groupId: "grp_" + body, name: "ci", role: .groupOwner, prefix: "gsk_01234567",
                expiresAt: nil, createdAt: 1))
        try expectSameAsCodable(
            APIKey(
                id: "key_" + body, groupId: "grp_" + body, name: "ci", role: .groupUser, permissions: ["things:*"],
                personId: "usr_" + body, rateLimit: RateLimit(requests: 60, burst: 10), prefix: "gsk_01234567",
                expiresAt: 99, createdAt: 1, lastUsedAt: 50, status: .revoked))
    }
}
