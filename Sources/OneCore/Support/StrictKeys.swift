/// Refuses members a nested request object does not define, the way the server refuses
/// unknown top-level fields: a misspelt `"limts"` must not be silently dropped.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// Throws a `DecodingError` naming the first member of this object not in `allowed`.
    func rejectUnknownKeys(_ allowed: Set<String>) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        if let unknown = container.allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
            throw DecodingError.dataCorruptedError(
                forKey: AnyCodingKey(stringValue: unknown), in: container,
                debugDescription: "unknown member; allowed: \(allowed.sorted().joined(separator: ", "))")
        }
    }
}

extension GroupSettings {
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["visibility", "joinPolicy", "plan", "limits"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            visibility: try container.decodeIfPresent(Visibility.self, forKey: .visibility),
            joinPolicy: try container.decodeIfPresent(JoinPolicy.self, forKey: .joinPolicy),
            plan: try container.decodeIfPresent(Plan.self, forKey: .plan),
            limits: try container.decodeIfPresent([QuotaResource: Int].self, forKey: .limits))
    }

    enum CodingKeys: String, CodingKey { case visibility, joinPolicy, plan, limits }
}

extension RateLimit {
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["requests", "burst"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(requests: try container.decode(Int.self, forKey: .requests), burst: try container.decode(Int.self, forKey: .burst))
    }

    enum CodingKeys: String, CodingKey { case requests, burst }
}

extension KnowledgeSearch.Filters {
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["labels", "sourceThingId", "documentId"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            labels: try container.decodeIfPresent([String].self, forKey: .labels),
            sourceThingId: try container.decodeIfPresent(String.self, forKey: .sourceThingId),
            documentId: try container.decodeIfPresent(String.self, forKey: .documentId))
    }

    enum CodingKeys: String, CodingKey { case labels, sourceThingId, documentId }
}
