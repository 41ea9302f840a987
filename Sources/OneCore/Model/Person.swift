/// Someone who acts: a person, seen through their membership in one group.
public struct Person: Codable, Sendable, Equatable {
    /// Whether the person has joined: an invited person has no access until they accept.
    public enum Status: String, Codable, Sendable { case active, invited }

    public var id: String
    public var groupId: String
    public var email: String
    public var name: String
    public var username: String?
    public var bio: String?
    public var avatar: String?
    /// The person's role in `groupId`.
    public var role: Role
    public var permissions: [String]
    public var status: Status
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    enum CodingKeys: String, CodingKey {
        case id = "_id"
        case groupId, email, name, username, bio, avatar, role, permissions, status, createdAt, updatedAt
    }

    public init(
        id: String, groupId: String, email: String, name: String, username: String? = nil, bio: String? = nil,
        avatar: String? = nil, role: Role, permissions: [String] = [], status: Status = .active, createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.status = status
        self.id = id
        self.groupId = groupId
        self.email = email
        self.name = name
        self.username = username
        self.bio = bio
        self.avatar = avatar
        self.role = role
        self.permissions = permissions
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A person's role in one group.
public struct Membership: Codable, Sendable, Equatable {
    public var id: String
    public var personId: String
    public var groupId: String
    public var role: Role
    public var permissions: [String]
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    enum CodingKeys: String, CodingKey {
        case id = "_id"
        case personId, groupId, role, permissions, createdAt, updatedAt
    }

    public init(
        id: String, personId: String, groupId: String, role: Role, permissions: [String] = [],
        createdAt: Timestamp, updatedAt: Timestamp
    ) {
        self.id = id
        self.personId = personId
        self.groupId = groupId
        self.role = role
        self.permissions = permissions
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
