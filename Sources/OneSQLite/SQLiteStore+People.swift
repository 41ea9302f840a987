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
    /// A person seen through one membership: the profile, with the membership's group and role.
    static let personColumns = """
        SELECT p.id, m.groupId, p.email, p.name, p.username, p.bio, p.avatar, m.role, m.permissions,
               p.createdAt, MAX(p.updatedAt, m.updatedAt) AS updatedAt
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
            var personId = invited.id
            if let existing = try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM persons WHERE email = ?"), arguments: [invited.email]) {
                personId = existing
            } else {
                try self.insertPerson(invited, db)
            }
            try self.insert(
                Membership(
                    id: invite.membershipId, personId: personId, groupId: invited.groupId, role: invited.role,
                    permissions: invited.permissions, createdAt: invited.createdAt, updatedAt: invited.updatedAt), db)
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
                sql: "UPDATE persons SET name = ?, username = ?, bio = ?, avatar = ?, updatedAt = ? WHERE id = ?"
            ).execute(arguments: [updated.name, updated.username, updated.bio, updated.avatar, updated.updatedAt, id])
            try db.cachedStatement(
                sql: "UPDATE memberships SET role = ?, permissions = ?, updatedAt = ? WHERE personId = ? AND groupId = ?"
            ).execute(arguments: [
                updated.role.rawValue, JSONValue(updated.permissions).jsonText(), updated.updatedAt, id, groupId,
            ])
            _ = try self.append(event, db)
            return updated
        }
    }

    public func removePerson(id: String, groupId: String, event: EventDraft) async throws {
        try await write { db in
            try self.admit(groupId, adding: nil, db)
            try db.cachedStatement(sql: "DELETE FROM memberships WHERE personId = ? AND groupId = ?")
                .execute(arguments: [id, groupId])
            guard db.changesCount > 0 else { throw OneError.notFound("person") }
            _ = try self.append(event, db)
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

    func insertPerson(_ person: Person, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO persons (id, email, name, username, bio, avatar, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            person.id, person.email, person.name, person.username, person.bio, person.avatar, person.createdAt,
            person.updatedAt,
        ])
    }

    func insert(_ membership: Membership, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO memberships (id, personId, groupId, role, permissions, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            membership.id, membership.personId, membership.groupId, membership.role.rawValue,
            JSONValue(membership.permissions).jsonText(), membership.createdAt, membership.updatedAt,
        ])
    }
}
