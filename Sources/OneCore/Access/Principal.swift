/// Who is asking: the authenticated API key, its home group, role and narrowing permissions.
public struct Principal: Sendable, Equatable {
    public let keyId: String
    /// The key's own group; requests act here unless they address another reachable group.
    public let groupId: String
    public let role: Role
    public let permissions: PermissionSet
    /// The person the key acts as, or the key itself for keys without a person.
    public let actorId: String
    public let rateLimit: RateLimit
    public let expiresAt: Timestamp?

    /// The principal of an authenticated key: a key bound to a person acts with the lower of
    /// its own role and the person's current role in the key's group.
    public init(_ credential: Credential) {
        let key = credential.key
        self.keyId = key.id
        self.groupId = key.groupId
        self.role = credential.personRole.map { min($0, key.role) } ?? key.role
        self.permissions = PermissionSet(key.permissions)
        self.actorId = key.personId ?? key.id
        self.rateLimit = key.rateLimit
        self.expiresAt = key.expiresAt
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
