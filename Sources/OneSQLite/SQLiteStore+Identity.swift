import GRDB
import OneCore

extension Identity {
    init(row: Row) throws {
        let twoFactor: String? = row["twoFactor"]
        self.init(
            id: row["id"], email: row["email"], name: row["name"], passwordHash: row["passwordHash"],
            emailVerifiedAt: row["emailVerifiedAt"],
            twoFactor: try twoFactor.map { text in try TwoFactor(json: try JSONValue(storedText: text)) },
            createdAt: row["createdAt"], updatedAt: row["updatedAt"])
    }
}

extension Session {
    init(row: Row) {
        self.init(
            id: row["id"], identityId: row["identityId"], createdAt: row["createdAt"], expiresAt: row["expiresAt"],
            refreshedAt: row["refreshedAt"], userAgent: row["userAgent"], address: row["address"])
    }
}

extension MembershipGrant {
    init(row: Row) throws {
        self.init(
            groupId: row["groupId"], personId: row["personId"], role: try Role(column: row["role"]),
            permissions: try stringArray(row["permissions"]), createdAt: row["createdAt"])
    }
}

extension AuthToken {
    init(row: Row) throws {
        guard let purpose = Purpose(rawValue: row["purpose"]) else { throw OneError(.internal, "unknown token purpose in storage") }
        self.init(
            hash: row["hash"], purpose: purpose, identityId: row["identityId"], email: row["email"],
            data: try JSONValue(column: row["data"]), attempts: row["attempts"], createdAt: row["createdAt"],
            expiresAt: row["expiresAt"])
    }
}

extension SQLiteStore {
    static let grantColumns = """
        SELECT groupId, personId, role, permissions, createdAt FROM memberships
        WHERE identityId = ? AND status = 'active' ORDER BY createdAt, groupId
        """

    public func identity(id: String) async throws -> Identity? {
        try read { db in try fetchRow(db, "SELECT * FROM persons WHERE id = ?", [id]).map(Identity.init(row:)) }
    }

    public func identity(email: String) async throws -> Identity? {
        try read { db in try fetchRow(db, "SELECT * FROM persons WHERE email = ?", [email]).map(Identity.init(row:)) }
    }

    public func sessionCredential(hash: String) async throws -> SessionCredential? {
        try read { db in
            guard
                let row = try fetchRow(
                    db, "SELECT s.*, p.emailVerifiedAt FROM sessions s JOIN persons p ON p.id = s.identityId WHERE s.hash = ?",
                    [hash])
            else { return nil }
            let session = Session(row: row)
            let verifiedAt: Timestamp? = row["emailVerifiedAt"]
            let grants = try Row.fetchAll(db.cachedStatement(sql: Self.grantColumns), arguments: [session.identityId])
                .map(MembershipGrant.init(row:))
            return SessionCredential(session: session, emailVerified: verifiedAt != nil, memberships: grants)
        }
    }

    public func sessions(identityId: String, now: Timestamp) async throws -> [Session] {
        try read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM sessions WHERE identityId = ? AND expiresAt > ? ORDER BY id DESC"),
                arguments: [identityId, now]
            ).map(Session.init(row:))
        }
    }

    public func mails(limit: Int) async throws -> [MailMessage] {
        try read { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM (SELECT * FROM outbox ORDER BY id DESC LIMIT ?) ORDER BY id"),
                arguments: [limit]
            ).map { row in
                MailMessage(
                    id: row["id"], to: row["recipient"], subject: row["subject"], text: row["text"],
                    links: try stringArray(row["links"]), createdAt: row["createdAt"])
            }
        }
    }
}

extension SQLiteTransaction {
    func identityForUpdate(id: String) async throws -> Identity? {
        try fetchOne("SELECT * FROM persons WHERE id = ?", [id], Identity.init(row:))
    }

    func identityForUpdate(email: String) async throws -> Identity? {
        try fetchOne("SELECT * FROM persons WHERE email = ?", [email], Identity.init(row:))
    }

    func insertIdentity(_ identity: Identity) async throws {
        try execute(
            """
            INSERT INTO persons (id, email, name, passwordHash, emailVerifiedAt, twoFactor, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                identity.id, identity.email, identity.name, identity.passwordHash, identity.emailVerifiedAt,
                identity.twoFactor.map { $0.json.jsonText() }, identity.createdAt, identity.updatedAt,
            ])
    }

    func updateIdentity(_ identity: Identity) async throws {
        try execute(
            """
            UPDATE persons SET name = ?, passwordHash = ?, emailVerifiedAt = ?, twoFactor = ?, updatedAt = ? WHERE id = ?
            """,
            [
                identity.name, identity.passwordHash, identity.emailVerifiedAt, identity.twoFactor.map { $0.json.jsonText() },
                identity.updatedAt, identity.id,
            ])
    }

    func insertSession(_ session: Session, hash: String) async throws {
        try execute(
            """
            INSERT INTO sessions (id, identityId, hash, createdAt, expiresAt, refreshedAt, userAgent, address)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                session.id, session.identityId, hash, session.createdAt, session.expiresAt, session.refreshedAt,
                session.userAgent, session.address,
            ])
    }

    func sessionForUpdate(id: String) async throws -> Session? {
        try fetchOne("SELECT * FROM sessions WHERE id = ?", [id], Session.init(row:))
    }

    func updateSession(_ session: Session, hash: String?) async throws {
        try execute(
            "UPDATE sessions SET hash = COALESCE(?, hash), expiresAt = ?, refreshedAt = ? WHERE id = ?",
            [hash, session.expiresAt, session.refreshedAt, session.id])
    }

    func deleteSession(id: String) async throws {
        try execute("DELETE FROM sessions WHERE id = ?", [id])
    }

    func deleteSessions(identityId: String) async throws -> [String] {
        try run { db in
            try String.fetchAll(
                db.cachedStatement(sql: "DELETE FROM sessions WHERE identityId = ? RETURNING id"), arguments: [identityId])
        }
    }

    func insertAuthToken(_ token: AuthToken) async throws {
        try execute(
            """
            INSERT INTO auth_tokens (hash, purpose, identityId, email, data, attempts, createdAt, expiresAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                token.hash, token.purpose.rawValue, token.identityId, token.email, token.data.jsonText(), token.attempts,
                token.createdAt, token.expiresAt,
            ])
    }

    func authTokenForUpdate(hash: String) async throws -> AuthToken? {
        try fetchOne("SELECT * FROM auth_tokens WHERE hash = ?", [hash], AuthToken.init(row:))
    }

    func updateAuthToken(_ token: AuthToken) async throws {
        try execute(
            "UPDATE auth_tokens SET attempts = ?, data = ?, expiresAt = ? WHERE hash = ?",
            [token.attempts, token.data.jsonText(), token.expiresAt, token.hash])
    }

    func deleteAuthToken(hash: String) async throws {
        try execute("DELETE FROM auth_tokens WHERE hash = ?", [hash])
    }

    func deleteAuthTokens(identityId: String, purpose: AuthToken.Purpose) async throws {
        try execute("DELETE FROM auth_tokens WHERE identityId = ? AND purpose = ?", [identityId, purpose.rawValue])
    }

    func oauthIdentityId(provider: String, subject: String) async throws -> String? {
        try fetchOne("SELECT identityId FROM oauth_accounts WHERE provider = ? AND subject = ?", [provider, subject]) { row in
            row[0]
        }
    }

    func insertOAuthAccount(provider: String, subject: String, identityId: String, createdAt: Timestamp) async throws {
        try execute(
            "INSERT INTO oauth_accounts (provider, subject, identityId, createdAt) VALUES (?, ?, ?, ?)",
            [provider, subject, identityId, createdAt])
    }

    func claimMembership(personId: String, groupId: String, identityId: String) async throws {
        try execute("UPDATE memberships SET identityId = ? WHERE personId = ? AND groupId = ?", [identityId, personId, groupId])
    }

    func memberships(identityId: String) async throws -> [MembershipGrant] {
        try run { db in
            try Row.fetchAll(db.cachedStatement(sql: SQLiteStore.grantColumns), arguments: [identityId])
                .map(MembershipGrant.init(row:))
        }
    }

    func insertMail(_ message: MailMessage) async throws {
        try execute(
            "INSERT INTO outbox (id, recipient, subject, text, links, createdAt) VALUES (?, ?, ?, ?, ?, ?)",
            [message.id, message.to, message.subject, message.text, JSONValue(message.links).jsonText(), message.createdAt])
    }
}
