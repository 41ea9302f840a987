import OneCore
import PostgresNIO

extension Identity {
    init(row: PostgresRow) throws {
        let columns = Columns(row)
        let twoFactor: String? = try columns("two_factor")
        self.init(
            id: try columns("id"), email: try columns("email"), name: try columns("name"),
            passwordHash: try columns("password_hash"), emailVerifiedAt: try columns("email_verified_at"),
            twoFactor: try twoFactor.map { text in try TwoFactor(json: try JSONValue(storedText: text)) },
            createdAt: try columns("created_at"), updatedAt: try columns("updated_at"))
    }
}

extension Session {
    init(row: PostgresRow) throws { try self.init(Columns(row)) }

    init(_ columns: Columns) throws {
        self.init(
            id: try columns("id"), identityId: try columns("identity_id"), createdAt: try columns("created_at"),
            expiresAt: try columns("expires_at"), refreshedAt: try columns("refreshed_at"),
            userAgent: try columns("user_agent"), address: try columns("address"))
    }
}

extension MembershipGrant {
    init(row: PostgresRow) throws {
        let columns = Columns(row)
        self.init(
            groupId: try columns("group_id"), personId: try columns("person_id"), role: try columns.role("role"),
            permissions: try columns("permissions"), createdAt: try columns("created_at"))
    }
}

extension AuthToken {
    init(row: PostgresRow) throws {
        let columns = Columns(row)
        guard let purpose = Purpose(rawValue: try columns("purpose")) else {
            throw OneError(.internal, "unknown token purpose in storage")
        }
        self.init(
            hash: try columns("hash"), purpose: purpose, identityId: try columns("identity_id"), email: try columns("email"),
            data: try columns.json("data"), attempts: Int(try columns("attempts", as: Int64.self)),
            createdAt: try columns("created_at"), expiresAt: try columns("expires_at"))
    }
}

extension MailMessage {
    init(row: PostgresRow) throws {
        let columns = Columns(row)
        self.init(
            id: try columns("id"), to: try columns("recipient"), subject: try columns("subject"), text: try columns("text"),
            links: try columns("links"), createdAt: try columns("created_at"))
    }
}

extension PostgresStore {
    static let identitySelect = """
        SELECT id, email, name, password_hash, email_verified_at, two_factor::text AS two_factor, created_at, updated_at
        FROM persons
        """

    static let sessionSelect = """
        SELECT id, identity_id, created_at, expires_at, refreshed_at, user_agent, address FROM sessions
        """

    static let authTokenSelect = """
        SELECT hash, purpose, identity_id, email, data::text AS data, attempts, created_at, expires_at FROM auth_tokens
        """

    /// An identity's active memberships, oldest first (served by `memberships_by_identity`).
    static let grantsByIdentity = """
        SELECT group_id, person_id, role, permissions, created_at FROM memberships
        WHERE identity_id = $1 AND status = 'active' ORDER BY created_at, group_id
        """

    public func identity(id: String) async throws -> Identity? {
        try await fetchOne(PostgresQuery(unsafeSQL: Self.identitySelect + " WHERE id = $1", binds: binds(id)), Identity.init(row:))
    }

    public func identity(email: String) async throws -> Identity? {
        try await fetchOne(PostgresQuery(unsafeSQL: Self.identitySelect + " WHERE email = $1", binds: binds(email)), Identity.init(row:))
    }

    public func sessionCredential(hash: String) async throws -> SessionCredential? {
        var found: SessionCredential?
        for try await (session, emailVerified, grant) in try await client.execute(
            Prepared.SessionCredentialByHash(hash: hash), logger: logger)
        {
            if found == nil { found = SessionCredential(session: session, emailVerified: emailVerified, memberships: []) }
            if let grant { found?.memberships.append(grant) }
        }
        return found
    }

    public func sessions(identityId: String, now: Timestamp) async throws -> [Session] {
        try await fetchAll(
            PostgresQuery(
                unsafeSQL: Self.sessionSelect + " WHERE identity_id = $1 AND expires_at > $2 ORDER BY id DESC",
                binds: binds(identityId, now)),
            Session.init(row:))
    }

    public func mails(limit: Int) async throws -> [MailMessage] {
        try await fetchAll(
            """
            SELECT id, recipient, subject, text, links, created_at FROM (
                SELECT * FROM outbox ORDER BY id DESC LIMIT \(Int64(limit))
            ) newest ORDER BY id
            """, MailMessage.init(row:))
    }
}

extension PostgresTransaction {
    func identityForUpdate(id: String) async throws -> Identity? {
        try await fetchOne(
            PostgresQuery(unsafeSQL: PostgresStore.identitySelect + " WHERE id = $1 FOR UPDATE", binds: binds(id)),
            Identity.init(row:))
    }

    func identityForUpdate(email: String) async throws -> Identity? {
        try await fetchOne(
            PostgresQuery(unsafeSQL: PostgresStore.identitySelect + " WHERE email = $1 FOR UPDATE", binds: binds(email)),
            Identity.init(row:))
    }

    func insertIdentity(_ identity: Identity) async throws {
        try await query(
            """
            INSERT INTO persons (id, email, name, password_hash, email_verified_at, two_factor, created_at, updated_at)
            VALUES (\(identity.id), \(identity.email), \(identity.name), \(identity.passwordHash), \(identity.emailVerifiedAt),
                    \(identity.twoFactor.map { $0.json.jsonText() })::jsonb, \(identity.createdAt), \(identity.updatedAt))
            """)
    }

    func updateIdentity(_ identity: Identity) async throws {
        try await query(
            """
            UPDATE persons SET name = \(identity.name), password_hash = \(identity.passwordHash),
                email_verified_at = \(identity.emailVerifiedAt),
                two_factor = \(identity.twoFactor.map { $0.json.jsonText() })::jsonb, updated_at = \(identity.updatedAt)
            WHERE id = \(identity.id)
            """)
    }

    func insertSession(_ session: Session, hash: String) async throws {
        try await query(
            """
            INSERT INTO sessions (id, identity_id, hash, created_at, expires_at, refreshed_at, user_agent, address)
            VALUES (\(session.id), \(session.identityId), \(hash), \(session.createdAt), \(session.expiresAt),
                    \(session.refreshedAt), \(session.userAgent), \(session.address))
            """)
    }

    func sessionForUpdate(id: String) async throws -> Session? {
        try await fetchOne(
            PostgresQuery(unsafeSQL: PostgresStore.sessionSelect + " WHERE id = $1 FOR UPDATE", binds: binds(id)),
            Session.init(row:))
    }

    func updateSession(_ session: Session, hash: String?) async throws {
        try await query(
            """
            UPDATE sessions SET hash = COALESCE(\(hash), hash), expires_at = \(session.expiresAt),
                refreshed_at = \(session.refreshedAt)
            WHERE id = \(session.id)
            """)
    }

    func deleteSession(id: String) async throws {
        try await query("DELETE FROM sessions WHERE id = \(id)")
    }

    func deleteSessions(identityId: String) async throws -> [String] {
        try await fetchAll("DELETE FROM sessions WHERE identity_id = \(identityId) RETURNING id") { try $0.decode(String.self) }
            .sorted()
    }

    func insertAuthToken(_ token: AuthToken) async throws {
        try await query(
            """
            INSERT INTO auth_tokens (hash, purpose, identity_id, email, data, attempts, created_at, expires_at)
            VALUES (\(token.hash), \(token.purpose.rawValue), \(token.identityId), \(token.email),
                    \(token.data.jsonText())::jsonb, \(Int64(token.attempts)), \(token.createdAt), \(token.expiresAt))
            """)
    }

    func authTokenForUpdate(hash: String) async throws -> AuthToken? {
        try await fetchOne(
            PostgresQuery(unsafeSQL: PostgresStore.authTokenSelect + " WHERE hash = $1 FOR UPDATE", binds: binds(hash)),
            AuthToken.init(row:))
    }

    func updateAuthToken(_ token: AuthToken) async throws {
        try await query(
            """
            UPDATE auth_tokens SET attempts = \(Int64(token.attempts)), data = \(token.data.jsonText())::jsonb,
                expires_at = \(token.expiresAt)
            WHERE hash = \(token.hash)
            """)
    }

    func deleteAuthToken(hash: String) async throws {
        try await query("DELETE FROM auth_tokens WHERE hash = \(hash)")
    }

    func deleteAuthTokens(identityId: String, purpose: AuthToken.Purpose) async throws {
        try await query("DELETE FROM auth_tokens WHERE identity_id = \(identityId) AND purpose = \(purpose.rawValue)")
    }

    func oauthIdentityId(provider: String, subject: String) async throws -> String? {
        try await fetchOne("SELECT identity_id FROM oauth_accounts WHERE provider = \(provider) AND subject = \(subject)") {
            try $0.decode(String.self)
        }
    }

    func insertOAuthAccount(provider: String, subject: String, identityId: String, createdAt: Timestamp) async throws {
        try await query(
            """
            INSERT INTO oauth_accounts (provider, subject, identity_id, created_at)
            VALUES (\(provider), \(subject), \(identityId), \(createdAt))
            """)
    }

    func claimMembership(personId: String, groupId: String, identityId: String) async throws {
        try await query(
            "UPDATE memberships SET identity_id = \(identityId) WHERE person_id = \(personId) AND group_id = \(groupId)")
    }

    func memberships(identityId: String) async throws -> [MembershipGrant] {
        try await fetchAll(
            PostgresQuery(unsafeSQL: PostgresStore.grantsByIdentity, binds: binds(identityId)), MembershipGrant.init(row:))
    }

    func insertMail(_ message: MailMessage) async throws {
        try await query(
            """
            INSERT INTO outbox (id, recipient, subject, text, links, created_at)
            VALUES (\(message.id), \(message.to), \(message.subject), \(message.text), \(message.links), \(message.createdAt))
            """)
    }
}
