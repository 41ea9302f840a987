import GRDB
import OneCore

extension Person {
    /// From a row of `persons` joined with one of its `memberships`.
    init(row: Row) throws {
        self.init(
            id: row["id"], groupId: row["groupId"], email: row["email"], name: row["name"], username: row["username"],
            bio: row["bio"], avatar: row["avatar"], role: try Role(column: row["role"]),
            permissions: try stringArray(row["permissions"]), createdAt: row["createdAt"],
            updatedAt: row["updatedAt"])
    }
}

extension Membership {
    init(row: Row) throws {
        self.init(
            id: row["id"], personId: row["personId"], groupId: row["groupId"], role: try Role(column: row["role"]),
            permissions: try stringArray(row["permissions"]), createdAt: row["createdAt"],
            updatedAt: row["updatedAt"])
    }
}

extension Role {
    init(column: String) throws {
        guard let role = Role(rawValue: column) else { throw OneError(.internal, "unknown role in storage") }
        self = role
    }
}

extension SQLiteStore {
    /// A person seen through one membership: their identity, and the profile and role that group holds.
    static let personColumns = """
        SELECT p.id, m.groupId, p.email, m.name, m.username, m.bio, m.avatar, m.role, m.permissions,
               m.createdAt, m.updatedAt
        FROM persons p JOIN memberships m ON m.personId = p.id
        """

    public func person(id: String, groupId: String) async throws -> Person? {
        try read { db in try person(id: id, groupId: groupId, db) }
    }

    func person(id: String, groupId: String, _ db: Database) throws -> Person? {
        try fetchRow(db, Self.personColumns + " WHERE p.id = ? AND m.groupId = ?", [id, groupId]).map(Person.init(row:))
    }

    public func people(groupId: String, page: PageRequest) async throws -> Page<Person> {
        try read { db in
            try fetchPage(
                db, from: "(\(Self.personColumns) WHERE m.groupId = ?)", where: [], [groupId], ascending: true,
                page: page, decode: Person.init(row:), cursor: \.id)
        }
    }

    public func invitePerson(_ invite: PersonInvite, event: EventDraft) async throws -> Person {
        try await write { db in
            let invited = invite.person
            try self.admit(invited.groupId, adding: .people, db)
            let personId = try self.insertMember(invited, membershipId: invite.membershipId, db)
            var event = event
            event.targetId = personId
            _ = try self.append(event, db)
            guard let person = try self.person(id: personId, groupId: invited.groupId, db) else {
                throw OneError(.internal, "the invited person could not be read back")
            }
            return person
        }
    }

    public func updatePerson(id: String, groupId: String, _ body: @escaping Update<Person>) async throws -> Person {
        try await write { db in
            guard let current = try self.person(id: id, groupId: groupId, db) else { throw OneError.notFound("person") }
            try self.admit(groupId, adding: nil, db)
            let (updated, event) = try body(current)
            try db.cachedStatement(
                sql: """
                    UPDATE memberships SET name = ?, username = ?, bio = ?, avatar = ?, role = ?, permissions = ?, updatedAt = ?
                    WHERE personId = ? AND groupId = ?
                    """
            ).execute(arguments: [
                updated.name, updated.username, updated.bio, updated.avatar, updated.role.rawValue,
                JSONValue(updated.permissions).jsonText(), updated.updatedAt, id, groupId,
            ])
            _ = try self.append(event, db)
            return updated
        }
    }

    public func removePerson(id: String, groupId: String, event: EventDraft) async throws -> [String] {
        try await write { db in
            try self.admit(groupId, adding: nil, db)
            try db.cachedStatement(sql: "DELETE FROM memberships WHERE personId = ? AND groupId = ?")
                .execute(arguments: [id, groupId])
            guard db.changesCount > 0 else { throw OneError.notFound("person") }
            _ = try self.append(event, db)
            let keys = try String.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM api_keys WHERE personId = ? AND groupId = ? AND status = 'active' ORDER BY id"),
                arguments: [id, groupId])
            for keyId in keys {
                try db.cachedStatement(sql: "UPDATE api_keys SET status = 'revoked' WHERE id = ?").execute(arguments: [keyId])
                _ = try self.append(event.revoking(keyId), db)
            }
            return keys
        }
    }

    public func memberships(personId: String, among groupIds: [String]?) async throws -> [Membership] {
        try read { db in
            var sql = "SELECT * FROM memberships WHERE personId = ?"
            var arguments: StatementArguments = [personId]
            if let groupIds {
                sql += " AND groupId IN (SELECT value FROM json_each(?))"
                _ = arguments.append(contentsOf: [JSONValue.array(groupIds.map(JSONValue.string)).jsonText()])
            }
            return try Row.fetchAll(db.cachedStatement(sql: sql + " ORDER BY groupId"), arguments: arguments)
                .map(Membership.init(row:))
        }
    }

    /// Adds `person` to their group: the identity when the email is new (else the existing one),
    /// and a membership holding the profile and role. Returns the person's ID.
    func insertMember(_ person: Person, membershipId: String, _ db: Database) throws -> String {
        try db.cachedStatement(sql: "INSERT INTO persons (id, email, createdAt) VALUES (?, ?, ?) ON CONFLICT (email) DO NOTHING")
            .execute(arguments: [person.id, person.email, person.createdAt])
        guard let personId = try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM persons WHERE email = ?"), arguments: [person.email]) else {
            throw OneError(.internal, "the person could not be stored")
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO memberships (id, personId, groupId, name, username, bio, avatar, role, permissions, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            membershipId, personId, person.groupId, person.name, person.username, person.bio, person.avatar,
            person.role.rawValue, JSONValue(person.permissions).jsonText(), person.createdAt, person.updatedAt,
        ])
        return personId
    }
}
