/// Any entity of the ontology: typed, with free JSON `properties`, owned by one group.
public struct Thing: Codable, Sendable, Equatable {
    public var id: String
    public var groupId: String
    public var type: String
    public var name: String
    public var properties: JSONValue
    public var status: String
    /// Key/value labels set one by one (`PUT /api/things/:id/tags/:key`) and filtered on.
    public var tags: [String: String]
    /// The actor that created it; group users may edit only what they created.
    public var createdBy: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var deletedAt: Timestamp?

    enum CodingKeys: String, CodingKey {
        case id = "_id"
        case groupId, type, name, properties, status, tags, createdBy, createdAt, updatedAt, deletedAt
    }

    public init(
        id: String, groupId: String, type: String, name: String, properties: JSONValue = [:],
        status: String = "active", tags: [String: String] = [:], createdBy: String? = nil, createdAt: Timestamp, updatedAt: Timestamp,
        deletedAt: Timestamp? = nil
    ) {
        self.id = id
        self.groupId = groupId
        self.type = type
        self.name = name
        self.properties = properties
        self.status = status
        self.tags = tags
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.deletedAt = deletedAt
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(String.self, forKey: .id), groupId: try container.decode(String.self, forKey: .groupId),
            type: try container.decode(String.self, forKey: .type), name: try container.decode(String.self, forKey: .name),
            properties: try container.decode(JSONValue.self, forKey: .properties),
            status: try container.decode(String.self, forKey: .status),
            tags: try container.decodeIfPresent([String: String].self, forKey: .tags) ?? [:],
            createdBy: try container.decodeIfPresent(String.self, forKey: .createdBy),
            createdAt: try container.decode(Timestamp.self, forKey: .createdAt),
            updatedAt: try container.decode(Timestamp.self, forKey: .updatedAt),
            deletedAt: try container.decodeIfPresent(Timestamp.self, forKey: .deletedAt))
    }
}
