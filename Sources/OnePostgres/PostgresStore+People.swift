import OneCore
import PostgresNIO

extension Person {
    init(row: PostgresRow) throws {
        let columns = Columns(row)
        self.init(
            id: try columns("id"), groupId: try columns("group_id"), email: try columns("email"), name: try columns("name"),
            username: try columns("username"), bio: try columns("bio"), avatar: try columns("avatar"),
            role: try columns.role("role"), permissions: try columns("permissions"), createdAt: try columns("created_at"),
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
    /// A person seen through one membership: their identity, and the profile and role that group holds.
    static let personSelect = """
        SELECT p.id, m.group_id, p.email, m.name, m.username, m.bio, m.avatar, m.role, m.permissions,
               m.created_at, m.updated_at
        FROM persons p JOIN memberships m ON m.person_id = p.id
        """

    public func person(id: String, groupId: String) async throws -> Person? {
        try await person(id: id, groupId: groupId, on: nil)
    }

    func person(id: String, groupId: String, on connection: PostgresConnection?) async throws -> Person? {
        try await fetchOne(
            PostgresQuery(unsafeSQL: Self.personSelect + " WHERE p.id = $1 AND m.group_id = $2", binds: binds(id, groupId)),
            on: connection, Person.init(row:))
    }

    public func people(groupId: String, page: PageRequest) async throws -> Page<Person> {
        var conditions = Conditions()
        conditions.add("m.group_id", groupId)
        return try await fetchPage(Self.personSelect, where: conditions, key: "p.id", ascending: true, page: page, decode: Person.init(row:), cursor: \.id)
    }

    public func invitePerson(_ invite: PersonInvite, event: EventDraft) async throws -> Person {
        try await write { connection, log in
            let invited = invite.person
            try await self.admit(invited.groupId, adding: .people, connection)
            let personId = try await self.insertMember(invited, membershipId: invite.membershipId, connection)
            var event = event
            event.targetId = personId
            guard let person = try await self.person(id: personId, groupId: invited.groupId, on: connection) else {
                throw OneError(.internal, "the invited person could not be read back")
            }
            log.stage(event)
            return person
        }
    }

    public func updatePerson(id: String, groupId: String, _ body: @escaping Update<Person>) async throws -> Person {
        try await write { connection, log in
            let locked = try await self.fetchOne(
                PostgresQuery(unsafeSQL: Self.personSelect + " WHERE p.id = $1 AND m.group_id = $2 FOR UPDATE OF m", binds: binds(id, groupId)),
                on: connection, Person.init(row:))
            guard let current = locked else { throw OneError.notFound("person") }
            try await self.admit(groupId, adding: nil, connection)
            let (updated, event) = try body(current)
            try await connection.query(
                """
                UPDATE memberships SET name = \(updated.name), username = \(updated.username), bio = \(updated.bio),
                    avatar = \(updated.avatar), role = \(updated.role.rawValue), permissions = \(updated.permissions),
                    updated_at = \(updated.updatedAt) WHERE person_id = \(id) AND group_id = \(groupId)
                """, logger: self.logger)
            log.stage(event)
            return updated
        }
    }

    public func removePerson(id: String, groupId: String, event: EventDraft) async throws -> [String] {
        try await write { connection, log in
            try await self.admit(groupId, adding: nil, connection)
            let removed = try await self.fetchOne(
                "DELETE FROM memberships WHERE person_id = \(id) AND group_id = \(groupId) RETURNING id", on: connection
            ) { try $0.decode(String.self) }
            guard removed != nil else { throw OneError.notFound("person") }
            log.stage(event)
            let keys = try await self.fetchAll(
                """
                UPDATE api_keys SET status = 'revoked'
                WHERE person_id = \(id) AND group_id = \(groupId) AND status = 'active' RETURNING id
                """, on: connection) { try $0.decode(String.self) }
            for keyId in keys.sorted() { log.stage(event.revoking(keyId)) }
            return keys
        }
    }

    public func memberships(personId: String, among groupIds: [String]?) async throws -> [Membership] {
        var conditions = Conditions()
        conditions.add("person_id", personId)
        if let groupIds { conditions.add("group_id = ANY(\(conditions.bind(groupIds)))") }
        let sql = "SELECT id, person_id, group_id, role, permissions, created_at, updated_at FROM memberships"
            + conditions.clause + " ORDER BY group_id"
        return try await fetchAll(PostgresQuery(unsafeSQL: sql, binds: conditions.binds), Membership.init(row:))
    }

    /// Adds `person` to their group: the identity when the email is new (else the existing one),
    /// and a membership holding the profile and role. Returns the person's ID.
    func insertMember(_ person: Person, membershipId: String, _ connection: PostgresConnection) async throws -> String {
        // DO UPDATE (a no-op) rather than DO NOTHING, so RETURNING yields the ID even when a
        // concurrent transaction inserted the same email first.
        let personId = try await fetchOne(
            """
            INSERT INTO persons (id, email, created_at) VALUES (\(person.id), \(person.email), \(person.createdAt))
            ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id
            """, on: connection) { try $0.decode(String.self) }
        guard let personId else { throw OneError(.internal, "the person could not be stored") }
        try await connection.query(
            """
            INSERT INTO memberships (id, person_id, group_id, name, username, bio, avatar, role, permissions, created_at, updated_at)
            VALUES (\(membershipId), \(personId), \(person.groupId), \(person.name), \(person.username), \(person.bio),
                    \(person.avatar), \(person.role.rawValue), \(person.permissions), \(person.createdAt), \(person.updatedAt))
            """, logger: logger)
        return personId
    }
}
