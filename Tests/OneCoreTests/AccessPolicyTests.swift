import Testing

@testable import OneCore

/// One row of the role matrix documented in AccessPolicy.swift: what `role` may do to `resource`.
struct MatrixRow: Sendable, CustomTestStringConvertible {
    let role: Role
    let resource: Resource
    let read: Bool
    let create: Bool
    let update: Bool
    let delete: Bool

    init(_ role: Role, _ resource: Resource, read: Bool, create: Bool, update: Bool, delete: Bool) {
        self.role = role
        self.resource = resource
        self.read = read
        self.create = create
        self.update = update
        self.delete = delete
    }

    var testDescription: String { "\(role.rawValue) on \(resource.rawValue)" }
}

/// The documented matrix, written out cell by cell. "edit own" and "read self" are allowed at the
/// role level; the ownership part is checked by the operation (see `requireOwnership`).
///
/// | role | groups | people | things | connections | events | knowledge | keys |
/// |---|---|---|---|---|---|---|---|
/// | platform_owner | all | all | all | all | all | all | all |
/// | group_owner | own + descendants | all | all | all | all | all | all |
/// | group_user | read | read | read, create, edit own | read, create | read, create | read, create | none |
/// | customer | none | read self | read | read | none | none | none |
private let roleMatrix: [MatrixRow] = [
    MatrixRow(.platformOwner, .groups, read: true, create: true, update: true, delete: true),
    MatrixRow(.platformOwner, .people, read: true, create: true, update: true, delete: true),
    MatrixRow(.platformOwner, .things, read: true, create: true, update: true, delete: true),
    MatrixRow(.platformOwner, .connections, read: true, create: true, update: true, delete: true),
    MatrixRow(.platformOwner, .events, read: true, create: true, update: true, delete: true),
    MatrixRow(.platformOwner, .knowledge, read: true, create: true, update: true, delete: true),
    MatrixRow(.platformOwner, .keys, read: true, create: true, update: true, delete: true),

    MatrixRow(.groupOwner, .groups, read: true, create: true, update: true, delete: true),
    MatrixRow(.groupOwner, .people, read: true, create: true, update: true, delete: true),
    MatrixRow(.groupOwner, .things, read: true, create: true, update: true, delete: true),
    MatrixRow(.groupOwner, .connections, read: true, create: true, update: true, delete: true),
    MatrixRow(.groupOwner, .events, read: true, create: true, update: true, delete: true),
    MatrixRow(.groupOwner, .knowledge, read: true, create: true, update: true, delete: true),
    MatrixRow(.groupOwner, .keys, read: true, create: true, update: true, delete: true),

    MatrixRow(.groupUser, .groups, read: true, create: false, update: false, delete: false),
    MatrixRow(.groupUser, .people, read: true, create: false, update: false, delete: false),
    MatrixRow(.groupUser, .things, read: true, create: true, update: true, delete: true),
    MatrixRow(.groupUser, .connections, read: true, create: true, update: false, delete: false),
    MatrixRow(.groupUser, .events, read: true, create: true, update: false, delete: false),
    MatrixRow(.groupUser, .knowledge, read: true, create: true, update: false, delete: false),
    MatrixRow(.groupUser, .keys, read: false, create: false, update: false, delete: false),

    MatrixRow(.customer, .groups, read: false, create: false, update: false, delete: false),
    MatrixRow(.customer, .people, read: true, create: false, update: false, delete: false),
    MatrixRow(.customer, .things, read: true, create: false, update: false, delete: false),
    MatrixRow(.customer, .connections, read: true, create: false, update: false, delete: false),
    MatrixRow(.customer, .events, read: false, create: false, update: false, delete: false),
    MatrixRow(.customer, .knowledge, read: false, create: false, update: false, delete: false),
    MatrixRow(.customer, .keys, read: false, create: false, update: false, delete: false),
]

private let goodBody = "01hx5z3k7m9pqrstvwxyz0abcd"

private func principal(
    role: Role, permissions: [String] = [], personId: String? = "usr_" + goodBody, keyId: String = "key_" + goodBody
) -> Principal {
    Principal(Credential(
        key: APIKey(
            id: keyId, groupId: "grp_" + goodBody, name: "test key", role: role, permissions: permissions,
            personId: personId, prefix: "gsk_abcdefgh", expiresAt: nil, createdAt: 0),
        personRole: personId == nil ? nil : role))
}

@Suite("AccessPolicy")
struct AccessPolicyTests {
    @Test("the matrix table covers every role and resource exactly once")
    func matrixIsComplete() {
        let cells = roleMatrix.map { "\($0.role.rawValue)/\($0.resource.rawValue)" }
        #expect(Set(cells).count == cells.count)
        #expect(cells.count == Role.allCases.count * Resource.allCases.count)
    }

    @Test("allows matches the documented role matrix", arguments: roleMatrix)
    func matrix(row: MatrixRow) {
        #expect(AccessPolicy.allows(row.role, .read, row.resource) == row.read, "read")
        #expect(AccessPolicy.allows(row.role, .create, row.resource) == row.create, "create")
        #expect(AccessPolicy.allows(row.role, .update, row.resource) == row.update, "update")
        #expect(AccessPolicy.allows(row.role, .delete, row.resource) == row.delete, "delete")
    }

    @Test("require passes when role and permissions both allow")
    func requireAllows() throws {
        try AccessPolicy.require(principal(role: .groupUser), .create, .things)
        try AccessPolicy.require(principal(role: .groupOwner, permissions: ["things:write"]), .delete, .things)
        try AccessPolicy.require(principal(role: .customer, permissions: ["*"]), .read, .things)
    }

    @Test("require refuses with FORBIDDEN when the role does not allow, whatever the permissions")
    func requireRoleDenies() throws {
        let error = try #require(throws: OneError.self) {
            try AccessPolicy.require(principal(role: .customer, permissions: ["*"]), .create, .things)
        }
        #expect(error.code == .forbidden)
        #expect(error.message.contains("customer"))
        #expect(throws: OneError.self) { try AccessPolicy.require(principal(role: .groupUser), .read, .keys) }
    }

    @Test("require refuses with FORBIDDEN when the key's permissions narrow the role")
    func requirePermissionsDeny() throws {
        let readOnly = principal(role: .platformOwner, permissions: ["things:read"])
        try AccessPolicy.require(readOnly, .read, .things)
        let error = try #require(throws: OneError.self) { try AccessPolicy.require(readOnly, .update, .things) }
        #expect(error.code == .forbidden)
        #expect(error.message.contains("permissions"))
        #expect(throws: OneError.self) { try AccessPolicy.require(readOnly, .read, .people) }
    }

    @Test("requireOwnership", arguments: [
        (Role.platformOwner, "usr_someoneelse", true),
        (.platformOwner, nil, true),
        (.groupOwner, "usr_someoneelse", true),
        (.groupOwner, nil, true),
        (.groupUser, "usr_" + goodBody, true),
        (.groupUser, "usr_someoneelse", false),
        (.groupUser, nil, false),
        (.customer, "usr_someoneelse", false),
        (.customer, nil, false),
    ] as [(Role, String?, Bool)])
    func ownership(role: Role, createdBy: String?, allowed: Bool) throws {
        let caller = principal(role: role)
        if allowed {
            try AccessPolicy.requireOwnership(caller, of: createdBy)
        } else {
            let error = #expect(throws: OneError.self) { try AccessPolicy.requireOwnership(caller, of: createdBy) }
            #expect(error?.code == .forbidden)
        }
    }

    @Test("a key without a person acts as itself for ownership")
    func ownershipOfKeyWithoutPerson() throws {
        let keyId = "key_" + goodBody
        let caller = principal(role: .groupUser, personId: nil, keyId: keyId)
        #expect(caller.actorId == keyId)
        try AccessPolicy.requireOwnership(caller, of: keyId)
        #expect(throws: OneError.self) { try AccessPolicy.requireOwnership(caller, of: "usr_" + goodBody) }
    }

    @Test("roles are ordered platform_owner > group_owner > group_user > customer")
    func roleOrder() {
        #expect(Role.platformOwner > .groupOwner)
        #expect(Role.groupOwner > .groupUser)
        #expect(Role.groupUser > .customer)
        #expect(Role.allCases.sorted(by: >) == [.platformOwner, .groupOwner, .groupUser, .customer])
    }

    @Test("Role.parse accepts wire names and rejects others naming the field")
    func roleParse() throws {
        #expect(try Role.parse("group_user", field: "role") == .groupUser)
        #expect(try Role.parse("platform_owner", field: "role") == .platformOwner)
        let error = try #require(throws: OneError.self) { try Role.parse("groupUser", field: "role") }
        #expect(error.code == .validation)
        #expect(error.field == "role")
        #expect(error.message.contains("customer"))
    }
}

@Suite("PermissionSet")
struct PermissionSetTests {
    @Test("allows", arguments: [
        // An empty set leaves the role alone.
        ([], Resource.things, Action.read, true),
        ([], .keys, .delete, true),
        // "*" allows everything.
        (["*"], .keys, .delete, true),
        (["*"], .people, .read, true),
        // resource:read allows only reads of that resource.
        (["things:read"], .things, .read, true),
        (["things:read"], .things, .create, false),
        (["things:read"], .things, .update, false),
        (["things:read"], .things, .delete, false),
        (["things:read"], .people, .read, false),
        // resource:write allows create, update and delete, not read.
        (["things:write"], .things, .create, true),
        (["things:write"], .things, .update, true),
        (["things:write"], .things, .delete, true),
        (["things:write"], .things, .read, false),
        (["things:write"], .connections, .create, false),
        // resource:* allows every action on that resource only.
        (["things:*"], .things, .read, true),
        (["things:*"], .things, .delete, true),
        (["things:*"], .events, .read, false),
        // Entries combine.
        (["things:read", "events:write"], .events, .create, true),
        (["things:read", "events:write"], .events, .read, false),
        (["things:read", "events:write"], .things, .read, true),
        (["things:read", "events:write"], .knowledge, .read, false),
    ] as [([String], Resource, Action, Bool)])
    func allows(entries: [String], resource: Resource, action: Action, expected: Bool) {
        #expect(PermissionSet(entries).allows(resource, action) == expected)
    }

    @Test("validate returns known entries unchanged")
    func validateKnown() throws {
        let entries = ["*", "things:read", "people:write", "keys:*", "knowledge:read", "groups:write", "events:*",
            "connections:read"]
        #expect(try PermissionSet.validate(entries, field: "permissions") == entries)
        #expect(try PermissionSet.validate([], field: "permissions") == [])
    }

    @Test("validate rejects an unknown entry, naming the field and the entry", arguments: [
        "things:admin", "thing:read", "THINGS:READ", "things", "*:*", "things:read ", "", "users:read",
    ])
    func validateUnknown(entry: String) throws {
        let error = try #require(throws: OneError.self) {
            try PermissionSet.validate(["things:read", entry], field: "permissions")
        }
        #expect(error.code == .validation)
        #expect(error.field == "permissions")
        #expect(error.message.contains("permissions"))
        #expect(error.message.contains("'\(entry)'"))
    }

    @Test("a key bound to a person acts with the lower of its role and the person's role now", arguments: Role.allCases)
    func boundKeysFollowTheirPerson(personRole: Role) {
        let key = APIKey(
            id: "key_" + goodBody, groupId: "grp_" + goodBody, name: "k", role: .groupOwner, personId: "usr_" + goodBody,
            prefix: "gsk_abcdefgh", expiresAt: nil, createdAt: 0)
        #expect(Principal(Credential(key: key, personRole: personRole)).role == min(personRole, .groupOwner))
    }
}
