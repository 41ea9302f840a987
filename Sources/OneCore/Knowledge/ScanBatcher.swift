import Synchronization

/// Gathers the vector queries that reach one group's index while a scan of it runs, and
/// answers them together with the next scan.
///
/// An exact scan is bound by memory bandwidth, not arithmetic: 100,000 vectors of 384 halves
/// are 77 MB read for every query. Scanned together, a batch of queries reads them once
/// (``VectorRows/nearest(_:parallelism:)``), so under load the cost of a query falls to little
/// more than its arithmetic, while a query that finds the index idle is scanned at once, alone.
///
/// There is no thread of its own: the query that finds no scan running leads one. It takes the
/// queries waiting then (up to ``maxBatch``), scans, answers them, and hands the lead to the
/// first query that arrived meanwhile, if any, so the waits are served in the order they came.
final class ScanBatcher: Sendable {
    typealias Hits = [(id: String, score: Float)]

    /// Queries one scan answers at most: the arithmetic, and so the scan's time, grows with each.
    static let maxBatch = 8

    private enum Turn {
        case answered(Hits)
        case lead
    }

    private struct Waiting {
        var query: VectorQuery
        var chunks: GroupChunks
        var turn: CheckedContinuation<Turn, Never>
    }

    private struct State {
        var scanning = false
        var waiting: [Waiting] = []
    }

    private let state = Mutex(State())

    /// Queries waiting for the next scan.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// The rows of `chunks` nearest `query`. When queries are batched, all are answered from
    /// the newest snapshot among them: one at least as current as each query's own, so still
    /// reflecting every write its search must see. `scan` runs a batch, on the calling thread.
    func nearest(
        _ query: VectorQuery, in chunks: GroupChunks, scan: (VectorRows, [VectorQuery]) -> [Hits]
    ) async -> Hits {
        // Asked first without a continuation: an idle index costs no suspension.
        if !takeLead(orWait: nil) {
            let turn = await withCheckedContinuation { (turn: CheckedContinuation<Turn, Never>) in
                if takeLead(orWait: Waiting(query: query, chunks: chunks, turn: turn)) { turn.resume(returning: .lead) }
            }
            if case .answered(let hits) = turn { return hits }
        }
        return lead(query, chunks, scan)
    }

    /// Whether the caller leads the next scan (none is running); if not, `waiting` (if any)
    /// joins the queue, in the same lock, so no scan can end unseen between the two.
    private func takeLead(orWait waiting: Waiting?) -> Bool {
        state.withLock { state in
            guard state.scanning else {
                state.scanning = true
                return true
            }
            if let waiting { state.waiting.append(waiting) }
            return false
        }
    }

    /// Scans for `query` and the queries waiting, answers them, and passes the lead on.
    private func lead(_ query: VectorQuery, _ chunks: GroupChunks, _ scan: (VectorRows, [VectorQuery]) -> [Hits]) -> Hits {
        let others = state.withLock { state in
            let taken = Array(state.waiting.prefix(Self.maxBatch - 1))
            state.waiting.removeFirst(taken.count)
            return taken
        }
        let newest = others.reduce(chunks) { $1.chunks.through > $0.through ? $1.chunks : $0 }
        let results = scan(newest.vectors, [query] + others.map(\.query))
        precondition(results.count == others.count + 1, "a scan answers every query of its batch")
        for (other, hits) in zip(others, results.dropFirst()) { other.turn.resume(returning: .answered(hits)) }
        let next = state.withLock { state -> Waiting? in
            guard !state.waiting.isEmpty else {
                state.scanning = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.turn.resume(returning: .lead)
        return results[0]
    }
}
