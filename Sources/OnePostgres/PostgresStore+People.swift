import OneCore
import PostgresNIO

extension Person {
    init(row: PostgresRow) throws {
        let columns = Columns(row)
        self.init(
            id: try columns("id"), groupId: try columns("group_id"), email: try columns("email"), name: try columns("name"),
            username: try columns("username"), bio: try columns("bio"), avatar: try columns("avatar"),
            role: try columns.role("role"), permissions: try columns("permissions"),
            status: Person.Status(rawValue: try columns("status")) ?? .invited, createdAt: try columns("created_at"),
            updatedAt: try columns("updated_at"))
    }
}

extension Membership {
    init(row: PostgresRow) throws {
        let columns = Columns(row)
        self.init(
            id: try columns("id"), personId: try columns("person_id"), groupId: try columns("group_id"),
            role: try columns.role("role"), permissions: try columns("permissions"), createdAt: try columns("created_at"),
            updatedAt: try columns("updated_at"))
    }
}

extension PostgresStore {
    /// A person seen through one membership: the ID and profile that group knows them by, the
    /// role it gives them, and their identity's email.
    static let personSelect = """
        SELECT m.person_id AS id, m.group_id, p.email, m.name, m.username, m.bio, m.avatar, m.role, m.permissions,
               m.status, m.created_at, m.updated_at
        FROM memberships m JOIN persons p ON p.id = m.identity_id
        """

    public func person(id: String, groupId: String) async throws -> Person? {
        try await fetchOne(
            PostgresQuery(unsafeSQL: Self.personSelect + " WHERE m.person_id = $1 AND m.group_id = $2", binds: binds(id, groupId)),
            Person.init(row:))
    }

    public func people(ids: [String], groupId: String) async throws -> [Person] {
        try await fetchAll(
            PostgresQuery(
                unsafeSQL: Self.personSelect + " WHERE m.group_id = $1 AND m.person_id = ANY($2) ORDER BY m.person_id",
                binds: binds(groupId, ids)),
            Person.init(row:))
    }

    public func people(groupId: String, subgroupIds: [String], page: PageRequest) async throws -> Page<Person> {
        var conditions = Conditions()
        conditions.addGroup(groupId, subgroupIds, column: "m.group_id")
        return try await fetchPage(Self.personSelect, where: conditions, key: "m.person_id", ascending: true, page: page, decode: Person.init(row:), cursor: \.id)
    }

    public func memberships(personId: String, groupId: String, among groupIds: [String]?) async throws -> [Membership] {
        var conditions = Conditions()
        conditions.add("known.person_id", personId)
        conditions.add("known.group_id", groupId)
        if let groupIds { conditions.add("m.group_id = ANY(\(conditions.bind(groupIds)))") }
        let sql = """
            SELECT m.id, m.person_id, m.group_id, m.role, m.permissions, m.created_at, m.updated_at
            FROM memberships m JOIN memberships known ON known.identity_id = m.identity_id
            """ + conditions.clause + " ORDER BY m.group_id"
        return try await fetchAll(PostgresQuery(unsafeSQL: sql, binds: conditions.binds), Membership.init(row:))
    }
}

extension PostgresTransaction {
    func personForUpdate(id: String, groupId: String) async throws -> Person? {
        try await fetchOne(
            PostgresQuery(
                unsafeSQL: PostgresStore.personSelect + " WHERE m.person_id = $1 AND m.group_id = $2 FOR UPDATE OF m",
                binds: binds(id, groupId)),
            Person.init(row:))
    }

    func identity(email: String, newIdentityId: String, createdAt: Timestamp) async throws -> String {
        // DO UPDATE (a no-op) rather than DO NOTHING, so RETURNING yields the ID even when a
        // concurrent transaction inserted the same email first.
        let id = try await fetchOne(
            """
            INSERT INTO persons (id, email, created_at, updated_at)
            VALUES (\(newIdentityId), \(email), \(createdAt), \(createdAt))
            ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id
            """) { try $0.decode(String.self) }
        guard let id else { throw OneError(.internal, "the identity could not be stored") }
        return id
    }

    func insertMembership(_ person: Person, identityId: String, membershipId: String) async throws {
        try await query(
            """
            INSERT INTO memberships (id, identity_id, person_id, group_id, name, username, bio, avatar, role, permissions,
                status, created_at, updated_at)
            VALUES (\(membershipId), \(identityId), \(person.id), \(person.groupId), \(person.name), \(person.username),
                    \(person.bio), \(person.avatar), \(person.role.rawValue), \(person.permissions),
                    \(person.status.rawValue), \(person.createdAt), \(person.updatedAt))
            """)
    }

    func updateMembership(_ person: Person) async throws {
        try await query(
            """
            UPDATE memberships SET name = \(person.name), username = \(person.username), bio = \(person.bio),
                avatar = \(person.avatar), role = \(person.role.rawValue), permissions = \(person.permissions),
                status = \(person.status.rawValue), updated_at = \(person.updatedAt)
            WHERE person_id = \(person.id) AND group_id = \(person.groupId)
            """)
    }

    func deleteMembership(personId: String, groupId: String) async throws -> Bool {
        try await fetchOne(
            "DELETE FROM memberships WHERE person_id = \(personId) AND group_id = \(groupId) RETURNING id"
        ) { try $0.decode(String.self) } != nil
    }
}
