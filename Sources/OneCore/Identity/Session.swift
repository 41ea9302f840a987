/// A signed-in device: an opaque token (stored only as its SHA-256 digest) standing for an identity.
public struct Session: Sendable, Equatable {
    public var id: String
    public var identityId: String
    public var createdAt: Timestamp
    public var expiresAt: Timestamp
    /// When the expiry last slid forward; it slides at most once a day.
    public var refreshedAt: Timestamp
    public var userAgent: String?
    public var address: String?

    public init(
        id: String, identityId: String, createdAt: Timestamp, expiresAt: Timestamp, refreshedAt: Timestamp,
        userAgent: String? = nil, address: String? = nil
    ) {
        self.id = id
        self.identityId = identityId
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.refreshedAt = refreshedAt
        self.userAgent = userAgent
        self.address = address
    }
}

/// A session as authentication finds it: the session, its identity's email state, and the
/// identity's active memberships, from which each request's role is taken.
public struct SessionCredential: Sendable, Equatable {
    public var session: Session
    public var emailVerified: Bool
    public var memberships: [MembershipGrant]

    public init(session: Session, emailVerified: Bool, memberships: [MembershipGrant]) {
        self.session = session
        self.emailVerified = emailVerified
        self.memberships = memberships
    }
}

/// What one active membership lets its person do in its group.
public struct MembershipGrant: Sendable, Equatable {
    public var groupId: String
    /// The ID the group knows the person by.
    public var personId: String
    public var role: Role
    public var permissions: [String]
    public var createdAt: Timestamp

    public init(groupId: String, personId: String, role: Role, permissions: [String], createdAt: Timestamp) {
        self.groupId = groupId
        self.personId = personId
        self.role = role
        self.permissions = permissions
        self.createdAt = createdAt
    }
}
