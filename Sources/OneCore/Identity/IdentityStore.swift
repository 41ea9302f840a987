/// Reads of accounts, sessions and the dev outbox: never scoped to a group, because an identity
/// belongs to no tenant. Only `/api/auth` and operators reach them.
public protocol IdentityStore: Sendable {
    func identity(id: String) async throws -> Identity?
    func identity(email: String) async throws -> Identity?
    /// The session whose token has this digest, with its identity's active memberships: the one
    /// lookup a session-authenticated request makes. Served by an index on the digest.
    func sessionCredential(hash: String) async throws -> SessionCredential?
    /// The identity's sessions that have not expired at `now`, newest first.
    func sessions(identityId: String, now: Timestamp) async throws -> [Session]
    /// The newest `limit` messages of the dev outbox, oldest first.
    func mails(limit: Int) async throws -> [MailMessage]
}

/// The write primitives of accounts, inside one store transaction. As with the rest of
/// ``StoreTransaction``, no rule lives here.
public protocol IdentityTransaction: AnyObject {
    func identityForUpdate(id: String) async throws -> Identity?
    func identityForUpdate(email: String) async throws -> Identity?
    /// Stores a new identity; a second one with the same email is a ``UniqueViolation`` (`.identityEmail`).
    func insertIdentity(_ identity: Identity) async throws
    func updateIdentity(_ identity: Identity) async throws

    func insertSession(_ session: Session, hash: String) async throws
    func sessionForUpdate(id: String) async throws -> Session?
    /// Saves the session; a new `hash` replaces its token (refresh), `nil` keeps it.
    func updateSession(_ session: Session, hash: String?) async throws
    func deleteSession(id: String) async throws
    /// Ends every session of the identity; the IDs of those it ended.
    func deleteSessions(identityId: String) async throws -> [String]

    func insertAuthToken(_ token: AuthToken) async throws
    func authTokenForUpdate(hash: String) async throws -> AuthToken?
    /// Saves a token's attempts, data and expiry.
    func updateAuthToken(_ token: AuthToken) async throws
    func deleteAuthToken(hash: String) async throws
    /// Withdraws the identity's outstanding tokens of one purpose (older reset links, say).
    func deleteAuthTokens(identityId: String, purpose: AuthToken.Purpose) async throws

    /// The identity linked to an account at an OAuth provider.
    func oauthIdentityId(provider: String, subject: String) async throws -> String?
    func insertOAuthAccount(provider: String, subject: String, identityId: String, createdAt: Timestamp) async throws

    /// Hands a membership to `identityId` (accepting an invitation made to another email).
    func claimMembership(personId: String, groupId: String, identityId: String) async throws
    /// Active memberships of an identity, oldest first.
    func memberships(identityId: String) async throws -> [MembershipGrant]

    func insertMail(_ message: MailMessage) async throws
}
