/// An API key's record. The secret itself is never stored: only its SHA-256 digest.
public struct APIKey: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case active, revoked }

    public var id: String
    public var groupId: String
    public var name: String
    public var role: Role
    public var permissions: [String]
    /// The person the key acts as; events it causes name this person as actor.
    public var personId: String?
    public var rateLimit: RateLimit
    /// The key's first characters, so people can tell their keys apart.
    public var prefix: String
    public var expiresAt: Timestamp?
    public var createdAt: Timestamp
    public var lastUsedAt: Timestamp?
    public var status: Status

    enum CodingKeys: String, CodingKey {
        case id = "_id"
        case groupId, name, role, permissions, personId, rateLimit, prefix, expiresAt, createdAt, lastUsedAt, status
    }

    public init(
        id: String, groupId: String, name: String, role: Role, permissions: [String] = [], personId: String? = nil,
        rateLimit: RateLimit = .default, prefix: String, expiresAt: Timestamp?, createdAt: Timestamp,
        lastUsedAt: Timestamp? = nil, status: Status = .active
    ) {
        self.id = id
        self.groupId = groupId
        self.name = name
        self.role = role
        self.permissions = permissions
        self.personId = personId
        self.rateLimit = rateLimit
        self.prefix = prefix
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.status = status
    }
}

/// A key's allowance: `requests` per minute, with bursts of up to `burst` at once.
public struct RateLimit: Codable, Sendable, Equatable {
    public var requests: Int
    public var burst: Int

    public init(requests: Int, burst: Int) {
        self.requests = requests
        self.burst = burst
    }

    public static let `default` = RateLimit(requests: 1000, burst: 100)
}
