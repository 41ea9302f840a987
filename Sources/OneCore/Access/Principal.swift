/// Who is asking, whatever proved it: an API key or a signed-in session, resolved once per
/// request. Every domain operation checks access against this alone.
public struct Principal: Sendable, Equatable {
    /// What proved the caller.
    public enum Authentication: Sendable, Equatable {
        case apiKey(id: String)
        case session(id: String, identityId: String)
        /// A group's sync secret, by its digest.
        case syncSecret(hash: String)
    }

    public let authentication: Authentication
    /// The home group: a key's own group, or the group of the membership a session acts through.
    /// Requests act here unless they address another reachable group.
    public let groupId: String
    public let role: Role
    public let permissions: PermissionSet
    /// The person acting (as their home group knows them), or the key itself for keys without a person.
    public let actorId: String
    public let rateLimit: RateLimit
    public let expiresAt: Timestamp?

    /// The principal of an authenticated key: a key bound to a person acts with the lower of
    /// its own role and the person's current role in the key's group.
    public init(_ credential: Credential) {
        let key = credential.key
        self.authentication = .apiKey(id: key.id)
        self.groupId = key.groupId
        self.role = credential.personRole.map { min($0, key.role) } ?? key.role
        self.permissions = PermissionSet(key.permissions)
        self.actorId = key.personId ?? key.id
        self.rateLimit = key.rateLimit
        self.expiresAt = key.expiresAt
    }

    /// The principal of a session acting through one of its identity's memberships.
    public init(session: Session, acting grant: MembershipGrant, rateLimit: RateLimit) {
        self.authentication = .session(id: session.id, identityId: session.identityId)
        self.groupId = grant.groupId
        self.role = grant.role
        self.permissions = PermissionSet(grant.permissions)
        self.actorId = grant.personId
        self.rateLimit = rateLimit
        self.expiresAt = session.expiresAt
    }

    /// The principal of a group's sync secret: a group user that may sync things, connections
    /// and knowledge, and edit what it synced.
    init(syncSecretOf groupId: String, hash: String, rateLimit: RateLimit) {
        self.authentication = .syncSecret(hash: hash)
        self.groupId = groupId
        self.role = .groupUser
        self.permissions = PermissionSet(["sync", "things:*", "connections:*", "knowledge:*"])
        self.actorId = "sync:" + groupId
        self.rateLimit = rateLimit
        self.expiresAt = nil
    }

    /// The ID of the key or session, which owns the rate-limit bucket.
    public var credentialId: String {
        switch authentication {
        case .apiKey(let id), .session(let id, _): id
        case .syncSecret(let hash): "sync:" + hash
        }
    }
}

/// A principal acting in one group: the only way into tenant data.
///
/// Built by ``OneService/scope(for:groupId:)``, which proves the group is reachable, so every
/// store call made with it is confined to that tenant.
public struct Scope: Sendable {
    public let principal: Principal
    public let groupId: String

    init(principal: Principal, groupId: String) {
        self.principal = principal
        self.groupId = groupId
    }
}
