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
    /// A person seen through one membership: the profile, with the membership's group and role.
    static let personSelect = """
        SELECT p.id, m.group_id, p.email, p.name, p.username, p.bio, p.avatar, m.role, m.permissions,
               p.created_at, GREATEST(p.updated_at, m.updated_at) AS updated_at
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
            // Insert the person unless the email is known; either way learn their ID.
            let personId = try await self.fetchOne(
                """
                WITH inserted AS (
                    INSERT INTO persons (id, email, name, username, bio, avatar, created_at, updated_at)
                    VALUES (\(invited.id), \(invited.email), \(invited.name), \(invited.username), \(invited.bio),
                            \(invited.avatar), \(invited.createdAt), \(invited.updatedAt))
                    ON CONFLICT (email) DO NOTHING RETURNING id
                )
                SELECT id FROM inserted UNION ALL SELECT id FROM persons WHERE email = \(invited.email) LIMIT 1
                """, on: connection) { try $0.decode(String.self) } ?? invited.id
            try await self.insert(
                Membership(
                    id: invite.membershipId, personId: personId, groupId: invited.groupId, role: invited.role,
                    permissions: invited.permissions, createdAt: invited.createdAt, updatedAt: invited.updatedAt), connection)
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
            guard let current = try await self.person(id: id, groupId: groupId, on: connection) else { throw OneError.notFound("person") }
            try await self.admit(groupId, adding: nil, connection)
            let (updated, event) = try body(current)
            try await connection.query(
                """
                UPDATE persons SET name = \(updated.name), username = \(updated.username), bio = \(updated.bio),
                    avatar = \(updated.avatar), updated_at = \(updated.updatedAt) WHERE id = \(id)
                """, logger: self.logger)
            try await connection.query(
                """
                UPDATE memberships SET role = \(updated.role.rawValue), permissions = \(updated.permissions),
                    updated_at = \(updated.updatedAt) WHERE person_id = \(id) AND group_id = \(groupId)
                """, logger: self.logger)
            log.stage(event)
            return updated
        }
    }

    public func removePerson(id: String, groupId: String, event: EventDraft) async throws {
        try await write { connection, log in
            try await self.admit(groupId, adding: nil, connection)
            let removed = try await self.fetchOne(
                "DELETE FROM memberships WHERE person_id = \(id) AND group_id = \(groupId) RETURNING id", on: connection
            ) { try $0.decode(String.self) }
            guard removed != nil else { throw OneError.notFound("person") }
            log.stage(event)
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

    func insertPerson(_ person: Person, _ connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO persons (id, email, name, username, bio, avatar, created_at, updated_at)
            VALUES (\(person.id), \(person.email), \(person.name), \(person.username), \(person.bio), \(person.avatar),
                    \(person.createdAt), \(person.updatedAt))
            """, logger: logger)
    }

    func insert(_ membership: Membership, _ connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO memberships (id, person_id, group_id, role, permissions, created_at, updated_at)
            VALUES (\(membership.id), \(membership.personId), \(membership.groupId), \(membership.role.rawValue),
                    \(membership.permissions), \(membership.createdAt), \(membership.updatedAt))
            """, logger: logger)
    }
}
