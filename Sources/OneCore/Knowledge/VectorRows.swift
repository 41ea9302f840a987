import COneKernels
import Dispatch
import Foundation
import Synchronization

/// Storage for a fixed number of vectors as IEEE half floats (half the memory, and so half the
/// time of a scan, which is bound by memory bandwidth).
///
/// A row is written once, by the copy of ``VectorRows`` that claimed it, before any count
/// covering it is published; it is never written again. So a reader holding an older copy may
/// scan while the writer appends past the end of what it sees, and a second copy appending
/// finds the row claimed and continues in a block of its own (as ``AppendOnlyArray`` does).
final class VectorBlock: @unchecked Sendable {
    static let capacity = 4096
    let dimensions: Int
    let storage: UnsafeMutablePointer<UInt16>
    /// Rows claimed, by the copy that appends.
    private let claimed = Atomic<Int>(0)

    init(dimensions: Int) {
        self.dimensions = dimensions
        storage = .allocate(capacity: Self.capacity * dimensions)
    }

    deinit { storage.deallocate() }

    /// Claims `row`, the next free one, for the copy about to write it: false when another copy
    /// claimed it first.
    func claim(_ row: Int) -> Bool {
        claimed.compareExchange(expected: row, desired: row + 1, ordering: .acquiringAndReleasing).exchanged
    }

    /// A block holding this one's first `rows` rows, the next claimed for its caller.
    func copy(rows: Int) -> VectorBlock {
        let copy = VectorBlock(dimensions: dimensions)
        copy.storage.update(from: storage, count: rows * dimensions)
        copy.claimed.store(rows + 1, ordering: .releasing)
        return copy
    }

    func write(_ vector: [Float], at row: Int) {
        let base = storage + row * dimensions
        for (index, value) in vector.enumerated() { base[index] = Float16(value).bitPattern }
    }

    func read(row: Int) -> [Float] {
        let base = storage + row * dimensions
        return (0..<dimensions).map { Float(Float16(bitPattern: base[$0])) }
    }
}

/// An exact nearest-neighbour index over one group's chunk vectors of one model: every live
/// row is scored against the query (SIMD, half floats) and the best kept. A value: copies are
/// snapshots, cheap to hand to readers while the owner appends, which copies neither the rows
/// nor their entries (``AppendOnlyArray``, ``WriterSlots``); only a removal copies the set of
/// removed rows, which compaction keeps under a quarter of the rows.
package struct VectorRows: Sendable {
    struct Entry: Sendable {
        var id: String
        var documentId: String?
        var sourceThingId: String?
        var labels: [String]
    }

    let model: String
    let dimensions: Int
    private(set) var blocks: [VectorBlock] = []
    private(set) var entries = AppendOnlyArray<Entry>()
    private var slots = WriterSlots()
    private(set) var dead: Set<Int> = []

    package init(model: String, dimensions: Int) {
        self.model = model
        self.dimensions = dimensions
    }

    var bytes: Int { blocks.count * VectorBlock.capacity * dimensions * 2 + entries.count * 160 }

    /// A copy about to change, when another copy changed the shared slots since it was made,
    /// numbers its own from its live rows.
    private mutating func ownSlots() {
        guard !slots.isCurrent else { return }
        let (entries, dead) = (self.entries, self.dead)
        slots = WriterSlots(entries.indices.lazy.filter { !dead.contains($0) }.map { (entries[$0].id, $0) })
    }

    /// Adds a chunk; one already present, or of the wrong dimension, is left alone.
    package mutating func add(_ chunk: IndexedChunk) {
        ownSlots()
        guard slots[chunk.id] == nil, chunk.vector.count == dimensions else { return }
        let slot = entries.count
        let row = slot % VectorBlock.capacity
        if row == 0 {
            blocks.append(VectorBlock(dimensions: dimensions))
            _ = blocks[blocks.count - 1].claim(0)
        } else if !blocks[blocks.count - 1].claim(row) {
            blocks[blocks.count - 1] = blocks[blocks.count - 1].copy(rows: row)
        }
        blocks[blocks.count - 1].write(chunk.vector, at: row)
        entries.append(Entry(id: chunk.id, documentId: chunk.documentId, sourceThingId: chunk.sourceThingId, labels: chunk.labels))
        slots[chunk.id] = slot
    }

    mutating func remove(id: String) {
        ownSlots()
        guard let slot = slots.remove(id) else { return }
        dead.insert(slot)
        if dead.count > 1024, dead.count * 4 > entries.count { compact() }
    }

    /// Rewrites the live rows without the dead ones once they are a quarter of the storage.
    private mutating func compact() {
        var compacted = VectorRows(model: model, dimensions: dimensions)
        for (slot, entry) in entries.enumerated() where !dead.contains(slot) {
            let block = blocks[slot / VectorBlock.capacity]
            compacted.add(IndexedChunk(
                id: entry.id, text: "", vector: block.read(row: slot % VectorBlock.capacity), documentId: entry.documentId,
                sourceThingId: entry.sourceThingId, labels: entry.labels))
        }
        self = compacted
    }

    /// For each query, the `limit` live rows most similar to its vector (dot product; vectors
    /// are normalised, so this is cosine), best first, among those its filters admit. The
    /// queries share one pass over the rows, which the scan's memory bandwidth bounds: a batch
    /// costs little more than one query. A large index is scanned by several threads at once,
    /// each over its share of the blocks (`parallelism`, default one per core), so a batch's
    /// latency falls with the cores.
    package func nearest(_ queries: [VectorQuery], parallelism: Int = VectorRows.cores) -> [[(id: String, score: Float)]] {
        let scanned = queries.indices.filter { queries[$0].vector.count == dimensions && queries[$0].limit > 0 }
        var results = [[(id: String, score: Float)]](repeating: [], count: queries.count)
        guard !scanned.isEmpty, !entries.isEmpty else { return results }
        let batch = scanned.map { queries[$0] }
        // The kernel reads the batch's vectors one after another.
        let packed = batch.flatMap(\.vector)
        let shares = entries.count >= Self.parallelThreshold ? max(1, min(parallelism, blocks.count)) : 1
        let best: [TopScores]
        if shares == 1 {
            best = scan(blocks.indices, batch, packed)
        } else {
            let partial = Partials(count: shares)
            let rows = self
            DispatchQueue.concurrentPerform(iterations: shares) { share in
                let range = stride(from: share, to: rows.blocks.count, by: shares)
                partial.set(share, rows.scan(range, batch, packed))
            }
            best = partial.merged(batch.map(\.limit))
        }
        for (query, top) in zip(scanned, best) {
            results[query] = top.ranked.map { (entries[$0.slot].id, $0.score) }
        }
        return results
    }

    /// One query's nearest rows: ``nearest(_:parallelism:)`` for a batch of one.
    package func nearest(
        to query: [Float], limit: Int, filters: KnowledgeFilters, parallelism: Int = VectorRows.cores
    ) -> [(id: String, score: Float)] {
        nearest([VectorQuery(vector: query, limit: limit, filters: filters)], parallelism: parallelism)[0]
    }

    /// Rows from which a scan is shared between threads: below it, the hand-off costs more than it saves.
    static let parallelThreshold = 4 * VectorBlock.capacity
    package static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    private func scan<Blocks: Sequence<Int>>(_ blockIndexes: Blocks, _ queries: [VectorQuery], _ packed: [Float]) -> [TopScores] {
        var best = queries.map { TopScores(limit: $0.limit) }
        var scores = [Float](repeating: 0, count: VectorBlock.capacity * queries.count)
        packed.withUnsafeBufferPointer { packedBuffer in
            guard let packed = packedBuffer.baseAddress else { return }
            for index in blockIndexes {
                let start = index * VectorBlock.capacity
                let rows = min(VectorBlock.capacity, entries.count - start)
                guard rows > 0 else { continue }
                scores.withUnsafeMutableBufferPointer { scores in
                    guard let out = scores.baseAddress else { return }
                    one_scores_f16_batch(packed, Int32(queries.count), blocks[index].storage, rows, Int32(dimensions), out)
                }
                for (number, query) in queries.enumerated() {
                    let first = number * rows
                    for row in 0..<rows where best[number].wouldKeep(scores[first + row]) {
                        let slot = start + row
                        guard !dead.contains(slot) else { continue }
                        if !query.filters.isEmpty {
                            let entry = entries[slot]
                            guard query.filters.admits(documentId: entry.documentId, sourceThingId: entry.sourceThingId, labels: entry.labels)
                            else { continue }
                        }
                        best[number].insert(scores[first + row], slot)
                    }
                }
            }
        }
        return best
    }
}

/// One query of a scan: its vector, how many rows it wants, and which rows it may have.
package struct VectorQuery: Sendable {
    package var vector: [Float]
    package var limit: Int
    package var filters: KnowledgeFilters

    package init(vector: [Float], limit: Int, filters: KnowledgeFilters = KnowledgeFilters()) {
        self.vector = vector
        self.limit = limit
        self.filters = filters
    }
}

/// Each thread's best rows of a shared scan, merged once all are in.
private final class Partials: @unchecked Sendable {
    private var parts: [[TopScores]?]
    private let lock = NSLock()

    init(count: Int) { parts = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ part: [TopScores]) { lock.withLock { parts[index] = part } }

    /// Each query's best over all the threads' parts, `limits` giving how many each keeps.
    func merged(_ limits: [Int]) -> [TopScores] {
        lock.withLock {
            var best = limits.map { TopScores(limit: $0) }
            for part in parts.compactMap({ $0 }) {
                for (query, top) in part.enumerated() {
                    for (score, slot) in top.ranked where best[query].wouldKeep(score) { best[query].insert(score, slot) }
                }
            }
            return best
        }
    }
}

/// The best `limit` scores seen, kept sorted, best first.
struct TopScores {
    let limit: Int
    private(set) var ranked: [(score: Float, slot: Int)] = []

    init(limit: Int) {
        self.limit = limit
        ranked.reserveCapacity(limit + 1)
    }

    func wouldKeep(_ score: Float) -> Bool {
        ranked.count < limit || score > ranked[ranked.count - 1].score
    }

    mutating func insert(_ score: Float, _ slot: Int) {
        var low = 0
        var high = ranked.count
        while low < high {
            let middle = (low + high) / 2
            if ranked[middle].score >= score { low = middle + 1 } else { high = middle }
        }
        ranked.insert((score, slot), at: low)
        if ranked.count > limit { ranked.removeLast() }
    }
}
