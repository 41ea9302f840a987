import GRDB
import OneCore

extension Person {
    /// From a row of `persons` joined with one of its `memberships`.
    init(row: Row) throws {
        self.init(
            id: row["id"], groupId: row["groupId"], email: row["email"], name: row["name"], username: row["username"],
            bio: row["bio"], avatar: row["avatar"], role: try Role(column: row["role"]),
            permissions: try stringArray(row["permissions"]), status: Person.Status(rawValue: row["status"]) ?? .invited,
            createdAt: row["createdAt"], updatedAt: row["updatedAt"])
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
    /// A person seen through one membership: the ID and profile that group knows them by, the
    /// role it gives them, and their identity's email.
    static let personColumns = """
        SELECT m.personId AS id, m.groupId, p.email, m.name, m.username, m.bio, m.avatar, m.role, m.permissions,
               m.status, m.createdAt, m.updatedAt
        FROM memberships m JOIN persons p ON p.id = m.identityId
        """

    public func person(id: String, groupId: String) async throws -> Person? {
        try read { db in
            try fetchRow(db, Self.personColumns + " WHERE m.personId = ? AND m.groupId = ?", [id, groupId]).map(Person.init(row:))
        }
    }

    public func people(ids: [String], groupId: String) async throws -> [Person] {
        try read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: Self.personColumns + " WHERE m.groupId = ? AND m.personId IN (SELECT value FROM json_each(?)) ORDER BY m.personId"),
                arguments: [groupId, JSONValue(ids).jsonText()]
            ).map(Person.init(row:))
        }
    }

    public func people(groupId: String, subgroupIds: [String], page: PageRequest) async throws -> Page<Person> {
        let group = groupCondition(groupId, subgroupIds)
        return try read { db in
            try fetchPage(
                db, from: "(\(Self.personColumns) WHERE m.\(group.sql))", where: [], [group.argument], ascending: true,
                page: page, decode: Person.init(row:), cursor: \.id)
        }
    }

    public func memberships(personId: String, groupId: String, among groupIds: [String]?) async throws -> [Membership] {
        try read { db in
            var sql = """
                SELECT m.* FROM memberships m JOIN memberships known ON known.identityId = m.identityId
                WHERE known.personId = ? AND known.groupId = ?
                """
            var arguments: StatementArguments = [personId, groupId]
            if let groupIds {
                sql += " AND m.groupId IN (SELECT value FROM json_each(?))"
                _ = arguments.append(contentsOf: [JSONValue(groupIds).jsonText()])
            }
            return try Row.fetchAll(db.cachedStatement(sql: sql + " ORDER BY m.groupId"), arguments: arguments)
                .map(Membership.init(row:))
        }
    }
}

extension SQLiteTransaction {
    func personForUpdate(id: String, groupId: String) async throws -> Person? {
        try fetchOne(SQLiteStore.personColumns + " WHERE m.personId = ? AND m.groupId = ?", [id, groupId], Person.init(row:))
    }

    func identity(email: String, newIdentityId: String, createdAt: Timestamp) async throws -> String {
        try execute(
            "INSERT INTO persons (id, email, createdAt, updatedAt) VALUES (?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
            [newIdentityId, email, createdAt, createdAt])
        guard let id = try fetchOne("SELECT id FROM persons WHERE email = ?", [email], { row -> String in row[0] }) else {
            throw OneError(.internal, "the identity could not be stored")
        }
        return id
    }

    func insertMembership(_ person: Person, identityId: String, membershipId: String) async throws {
        try execute(
            """
            INSERT INTO memberships (id, identityId, personId, groupId, name, username, bio, avatar, role, permissions,
                status, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                membershipId, identityId, person.id, person.groupId, person.name, person.username, person.bio, person.avatar,
                person.role.rawValue, JSONValue(person.permissions).jsonText(), person.status.rawValue, person.createdAt,
                person.updatedAt,
            ])
    }

    func updateMembership(_ person: Person) async throws {
        try execute(
            """
            UPDATE memberships SET name = ?, username = ?, bio = ?, avatar = ?, role = ?, permissions = ?, status = ?,
                updatedAt = ?
            WHERE personId = ? AND groupId = ?
            """,
            [
                person.name, person.username, person.bio, person.avatar, person.role.rawValue,
                JSONValue(person.permissions).jsonText(), person.status.rawValue, person.updatedAt, person.id, person.groupId,
            ])
    }

    func deleteMembership(personId: String, groupId: String) async throws -> Bool {
        try run { db in
            try db.cachedStatement(sql: "DELETE FROM memberships WHERE personId = ? AND groupId = ?")
                .execute(arguments: [personId, groupId])
            return db.changesCount > 0
        }
    }
}
