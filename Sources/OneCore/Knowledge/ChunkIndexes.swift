import Synchronization

/// The search indexes of this node: one per group and embedding model, holding the group's
/// chunk vectors (``VectorRows``) and words (``TextPostings``), loaded from the store on a
/// group's first search and then kept current from the event log, so every node answers with
/// what is committed, whichever node wrote it. A group's search reads its own index only: no
/// chunk of another group can be scored, nor move a score, by construction.
///
/// Indexes of groups not searched lately are dropped once the total passes `memoryBudget`
/// bytes; the next search reloads them.
public final class ChunkIndexes: Sendable {
    struct Key: Hashable { var groupId: String, model: String }

    private struct Registry {
        var indexes: [Key: GroupChunkIndex] = [:]
        var lastUsed: [Key: UInt64] = [:]
        var tick: UInt64 = 0
        /// Buffers of zeros for text queries to score in, one taken per query running.
        var scoreBuffers: [[Float]] = []
    }

    public let memoryBudget: Int
    private let registry = Mutex(Registry())
    /// Scans running now, each of one group: a lone scan is shared between the cores, but when
    /// several run the cores are busy already and each scans alone.
    private let scansRunning = Atomic<Int>(0)

    public init(memoryBudget: Int = 2 << 30) {
        self.memoryBudget = memoryBudget
    }

    /// The group's chunks as committed: the loaded index brought up to date with the log's
    /// changes since it was last read, reflecting at least every write this node made up to
    /// `written` (see ``GroupChunkIndex/current(store:covering:)``).
    func chunks(
        groupId: String, model: String, dimensions: Int, store: any Store, covering written: @escaping @Sendable () -> Int64
    ) async throws -> GroupChunks {
        let key = Key(groupId: groupId, model: model)
        let index = registry.withLock { registry in
            registry.tick += 1
            registry.lastUsed[key] = registry.tick
            if let index = registry.indexes[key] { return index }
            let index = GroupChunkIndex(key: key, dimensions: dimensions)
            registry.indexes[key] = index
            return index
        }
        let before = index.bytes.load(ordering: .relaxed)
        let chunks = try await index.current(store: store, covering: written)
        // Only an index that grew can push the total over the budget.
        if index.bytes.load(ordering: .relaxed) > before { evictIfOverBudget(keeping: key) }
        return chunks
    }

    /// The rows of `chunks` nearest `query`, scanned together with the other queries of the
    /// group waiting then (``ScanBatcher``), on all cores when no other group's scan is running.
    func nearest(in chunks: GroupChunks, to query: VectorQuery) async -> [(id: String, score: Float)] {
        await chunks.scans.nearest(query, in: chunks) { rows, queries in
            let running = scansRunning.add(1, ordering: .relaxed).newValue
            defer { scansRunning.subtract(1, ordering: .relaxed) }
            return rows.nearest(queries, parallelism: running == 1 ? VectorRows.cores : 1)
        }
    }

    /// The chunks of `text` that best match `terms`, scored in a buffer reused between queries.
    func best(in text: TextPostings, matching terms: [String], limit: Int, filters: KnowledgeFilters) -> [(id: String, score: Float)] {
        var scores = registry.withLock { $0.scoreBuffers.popLast() } ?? []
        let best = text.best(matching: terms, limit: limit, filters: filters, scores: &scores)
        registry.withLock { registry in
            if registry.scoreBuffers.count < Self.keptScoreBuffers { registry.scoreBuffers.append(scores) }
        }
        return best
    }

    static let keptScoreBuffers = 8

    /// Drops the least recently searched indexes (never `kept`) until the total fits the budget.
    private func evictIfOverBudget(keeping kept: Key) {
        registry.withLock { registry in
            var total = registry.indexes.values.reduce(0) { $0 + $1.bytes.load(ordering: .relaxed) }
            guard total > memoryBudget else { return }
            let oldestFirst = registry.indexes.keys.filter { $0 != kept }
                .sorted { registry.lastUsed[$0, default: 0] < registry.lastUsed[$1, default: 0] }
            for key in oldestFirst where total > memoryBudget {
                total -= registry.indexes[key]?.bytes.load(ordering: .relaxed) ?? 0
                registry.indexes[key] = nil
                registry.lastUsed[key] = nil
            }
        }
    }
}

/// A group's chunks as one search sees them: a snapshot of both indexes at one point of the log.
struct GroupChunks: Sendable {
    var vectors: VectorRows
    var text = TextPostings()
    /// The event sequence both reflect.
    var through: Int64 = 0
    /// Where the group's vector queries meet to share scans.
    let scans: ScanBatcher

    var bytes: Int { vectors.bytes + text.bytes }

    mutating func add(_ chunk: IndexedChunk) {
        vectors.add(chunk)
        text.add(chunk)
    }

    mutating func remove(id: String) {
        vectors.remove(id: id)
        text.remove(id: id)
    }

    /// A chunk re-embedded: its words are as they were, its vector is new (or, of another
    /// model than the index's, none).
    mutating func replaceVector(of chunk: IndexedChunk) {
        vectors.remove(id: chunk.id)
        vectors.add(chunk)
    }
}

/// One group's index for one model. The actor is its single writer; readers take a snapshot
/// (``GroupChunks`` is a value) and search outside it, in parallel.
actor GroupChunkIndex {
    let key: ChunkIndexes.Key
    /// The memory the index holds, readable without a hop onto the actor.
    nonisolated let bytes = Atomic<Int>(0)
    private var chunks: GroupChunks
    private var loaded = false
    /// The catch-up running now, numbered in the order catch-ups start, with the newest write
    /// of this node its read of the log is sure to see.
    private var refreshing: (task: Task<GroupChunks, any Error>, number: Int, covers: Int64)?
    private var started = 0

    static let loadPage = 2_000

    init(key: ChunkIndexes.Key, dimensions: Int) {
        self.key = key
        chunks = GroupChunks(vectors: VectorRows(model: key.model, dimensions: dimensions), scans: ScanBatcher())
    }

    /// The chunks brought up to the log's end, reflecting every write this node made before
    /// the call (`written()` then). Callers share a catch-up already running when its read is
    /// sure to see their writes; otherwise they wait it out and share the next. Writes made
    /// through other nodes show within one catch-up, as the log is read on every call.
    func current(store: any Store, covering written: @Sendable () -> Int64) async throws -> GroupChunks {
        let required = written()
        while let refreshing {
            if refreshing.covers >= required { return try await refreshing.task.value }
            _ = try? await refreshing.task.value
        }
        started += 1
        let number = started
        // Read before the catch-up starts its read of the log, which then sees all of these.
        let covers = written()
        let task = Task { try await self.refresh(number, store: store) }
        refreshing = (task, number, covers)
        return try await task.value
    }

    /// Catch-up `number`, no longer the one running once it ends: a waiter that wakes then
    /// never finds it still set.
    private func refresh(_ number: Int, store: any Store) async throws -> GroupChunks {
        defer { if refreshing?.number == number { refreshing = nil } }
        return try await catchUp(store: store)
    }

    private func catchUp(store: any Store) async throws -> GroupChunks {
        if !loaded {
            // The log's position first: a chunk written during the load is both loaded and
            // replayed from the log, which the index ignores the second time. Pages keep the
            // rows in flight (vectors as full floats, texts) to one page's worth. A load that
            // fails part way leaves nothing behind: the next starts afresh.
            var loading = GroupChunks(vectors: VectorRows(model: key.model, dimensions: chunks.vectors.dimensions), scans: chunks.scans)
            loading.through = try await store.lastSequence()
            var after: String?
            while true {
                let page = try await store.indexedChunks(groupId: key.groupId, model: key.model, after: after, limit: Self.loadPage)
                for chunk in page { loading.add(chunk) }
                after = page.last?.id
                if page.count < Self.loadPage { break }
            }
            chunks = loading
            loaded = true
        }
        while true {
            let read = try await store.indexedChunkChanges(groupId: key.groupId, model: key.model, after: chunks.through, limit: 1000)
            for change in read.changes {
                switch change {
                case .added(let chunk): chunks.add(chunk)
                case .replaced(let chunk): chunks.replaceVector(of: chunk)
                case .removed(let id): chunks.remove(id: id)
                }
            }
            chunks.through = max(chunks.through, read.through)
            bytes.store(chunks.bytes, ordering: .relaxed)
            if !read.hasMore { return chunks }
        }
    }
}
