/// What a client asks `/api/knowledge/search`.
public struct KnowledgeSearch: Codable, Sendable {
    public struct Filters: Codable, Sendable {
        public var labels: [String]?
        public var sourceThingId: String?
        public var documentId: String?

        public init(labels: [String]? = nil, sourceThingId: String? = nil, documentId: String? = nil) {
            self.labels = labels
            self.sourceThingId = sourceThingId
            self.documentId = documentId
        }
    }

    public var query: String?
    public var limit: Int?
    public var mode: SearchMode?
    public var filters: Filters?

    public init(query: String?, limit: Int? = nil, mode: SearchMode? = nil, filters: Filters? = nil) {
        self.query = query
        self.limit = limit
        self.mode = mode
        self.filters = filters
    }
}

/// How a search ranks: by meaning (`vector`), by words (`text`, BM25), or both fused by
/// reciprocal rank (`hybrid`, the default).
public enum SearchMode: String, Codable, Sendable, CaseIterable {
    case vector, text, hybrid
}

/// A chunk a search found. `score` is the cosine similarity for `vector`, the BM25 score
/// for `text` (higher is better), and the fused reciprocal-rank score for `hybrid`.
public struct SearchHit: Sendable {
    public var id: String
    public var text: String
    public var score: Double
    public var documentId: String?
    public var sourceThingId: String?
    public var labels: [String]
    public var metadata: JSONValue


    init(_ knowledge: Knowledge, score: Double) {
        id = knowledge.id
        text = knowledge.text ?? ""
        self.score = score
        documentId = knowledge.documentId
        sourceThingId = knowledge.sourceThingId
        labels = knowledge.labels
        metadata = knowledge.metadata
    }
}

public struct SearchResults: Sendable {
    public var results: [SearchHit]
    public var count: Int { results.count }
    public var mode: SearchMode
    /// The model whose vectors were searched (vector and hybrid modes).
    public var embedder: String?
}

extension Knowledge {
    /// The document a chunk was cut from.
    public var documentId: String? {
        metadata.objectValue?["documentId"]?.stringValue
    }
}
