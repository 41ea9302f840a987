/// Any entity of the ontology: typed, with free JSON `properties`, owned by one group.
public struct Thing: Codable, Sendable, Equatable {
    public var id: String
    public var groupId: String
    public var type: String
    public var name: String
    public var properties: JSONValue
    public var status: String
    /// The actor that created it; group users may edit only what they created.
    public var createdBy: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var deletedAt: Timestamp?

    enum CodingKeys: String, CodingKey {
        case id = "_id"
        case groupId, type, name, properties, status, createdBy, createdAt, updatedAt, deletedAt
    }

    public init(
        id: String, groupId: String, type: String, name: String, properties: JSONValue = [:],
        status: String = "active", createdBy: String? = nil, createdAt: Timestamp, updatedAt: Timestamp,
        deletedAt: Timestamp? = nil
    ) {
        self.id = id
        self.groupId = groupId
        self.type = type
        self.name = name
        self.properties = properties
        self.status = status
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.deletedAt = deletedAt
    }
}
