/// A piece of knowledge: a label, a document, a chunk, or a bare vector.
public struct Knowledge: Codable, Sendable, Equatable {
    public var id: String
    public var groupId: String
    public var type: String
    public var text: String?
    public var labels: [String]
    public var metadata: JSONValue
    public var sourceThingId: String?
    public var sourceField: String?
    public var createdBy: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var deletedAt: Timestamp?
    /// The chunk's vector, for search; stored with the record but never part of its JSON.
    public var embedding: Embedding? = nil

    enum CodingKeys: String, CodingKey {
        case id = "_id"
        case groupId, type, text, labels, metadata, sourceThingId, sourceField, createdBy, createdAt, updatedAt
        case deletedAt
    }

    public init(
        id: String, groupId: String, type: String, text: String? = nil, labels: [String] = [],
        metadata: JSONValue = [:], sourceThingId: String? = nil, sourceField: String? = nil,
        createdBy: String? = nil, createdAt: Timestamp, updatedAt: Timestamp, deletedAt: Timestamp? = nil,
        embedding: Embedding? = nil
    ) {
        self.embedding = embedding
        self.deletedAt = deletedAt
        self.id = id
        self.groupId = groupId
        self.type = type
        self.text = text
        self.labels = labels
        self.metadata = metadata
        self.sourceThingId = sourceThingId
        self.sourceField = sourceField
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
