/// A typed, directed relationship between two things of one group.
public struct Connection: Codable, Sendable, Equatable {
    public var id: String
    public var groupId: String
    public var fromId: String
    public var toId: String
    public var type: String
    public var metadata: JSONValue
    public var strength: Double?
    public var validFrom: Timestamp?
    public var validTo: Timestamp?
    public var createdBy: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var deletedAt: Timestamp?

    enum CodingKeys: String, CodingKey {
        case id = "_id"
        case groupId, fromId, toId, type, metadata, strength, validFrom, validTo, createdBy, createdAt, updatedAt
        case deletedAt
    }

    public init(
        id: String, groupId: String, fromId: String, toId: String, type: String, metadata: JSONValue = [:],
        strength: Double? = nil, validFrom: Timestamp? = nil, validTo: Timestamp? = nil, createdBy: String? = nil,
        createdAt: Timestamp, updatedAt: Timestamp, deletedAt: Timestamp? = nil
    ) {
        self.deletedAt = deletedAt
        self.id = id
        self.groupId = groupId
        self.fromId = fromId
        self.toId = toId
        self.type = type
        self.metadata = metadata
        self.strength = strength
        self.validFrom = validFrom
        self.validTo = validTo
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
