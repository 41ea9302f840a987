/// A chunk as search knows it: its words, its vector, and what a search can filter on, so a
/// filtered search needs no read of the store until it has its answers.
public struct IndexedChunk: Sendable, Equatable {
    public var id: String
    public var text: String
    /// Its vector by the model the index is for; empty when another model embedded it, so the
    /// chunk is found by its words alone.
    public var vector: [Float]
    public var documentId: String?
    public var sourceThingId: String?
    public var labels: [String]

    public init(id: String, text: String, vector: [Float], documentId: String?, sourceThingId: String?, labels: [String]) {
        self.id = id
        self.text = text
        self.vector = vector
        self.documentId = documentId
        self.sourceThingId = sourceThingId
        self.labels = labels
    }
}

/// The changes to a group's chunks after a sequence, read from the event
/// log: chunks created (with their words and vectors), re-embedded and deleted, in log order.
public struct IndexedChunkChanges: Sendable {
    public enum Change: Sendable, Equatable {
        case added(IndexedChunk)
        /// A chunk already indexed, given a new vector (re-embedded by another model).
        case replaced(IndexedChunk)
        case removed(id: String)
    }

    public var changes: [Change]
    /// The last sequence read, whatever its type; pass it as `after` next time.
    public var through: Int64
    /// Whether the log holds more after `through` than one read returned.
    public var hasMore: Bool

    public init(changes: [Change], through: Int64, hasMore: Bool) {
        self.changes = changes
        self.through = through
        self.hasMore = hasMore
    }
}

/// What a search may be narrowed to. Every label listed must be on the chunk.
public struct KnowledgeFilters: Sendable, Equatable {
    public var labels: [String]
    public var sourceThingId: String?
    public var documentId: String?

    public init(labels: [String] = [], sourceThingId: String? = nil, documentId: String? = nil) {
        self.labels = labels
        self.sourceThingId = sourceThingId
        self.documentId = documentId
    }

    public var isEmpty: Bool { labels.isEmpty && sourceThingId == nil && documentId == nil }

    func admits(documentId: String?, sourceThingId: String?, labels: [String]) -> Bool {
        if let wanted = self.documentId, wanted != documentId { return false }
        if let wanted = self.sourceThingId, wanted != sourceThingId { return false }
        return self.labels.allSatisfy(labels.contains)
    }
}

/// A record's ID and how well it matched, higher being better.
public struct ScoredID: Sendable, Equatable {
    public var id: String
    public var score: Double

    public init(id: String, score: Double) {
        self.id = id
        self.score = score
    }
}
