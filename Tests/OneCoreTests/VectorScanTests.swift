import Foundation
@testable import OneCore
import Synchronization
import Testing

@Suite("Exact vector scans")
struct VectorScanTests {
    /// Deterministic unit vectors.
    static func vectors(_ count: Int, dimensions: Int, seed: UInt64) -> [[Float]] {
        var state = seed
        return (0..<count).map { _ in
            let raw = (0..<dimensions).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(state >> 40) / Float(1 << 23) - 1
            }
            let norm = sqrt(raw.reduce(0) { $0 + $1 * $1 })
            return raw.map { $0 / norm }
        }
    }

    static func rows(_ count: Int, dimensions: Int) -> VectorRows {
        var rows = VectorRows(model: "test", dimensions: dimensions)
        for (index, vector) in vectors(count, dimensions: dimensions, seed: 7).enumerated() {
            rows.add(IndexedChunk(
                id: "c\(index)", text: "", vector: vector, documentId: "d\(index % 3)", sourceThingId: nil,
                labels: index % 5 == 0 ? ["five"] : []))
        }
        return rows
    }

    @Test("a batch answers each query exactly as a scan of it alone would: limits, filters and removed rows each its own")
    func batchEqualsAlone() {
        // Past the threshold for a shared scan, with rows and dimensions that leave tails.
        let dimensions = 43
        var rows = Self.rows(VectorRows.parallelThreshold + 3, dimensions: dimensions)
        let vectors = Self.vectors(5, dimensions: dimensions, seed: 11)
        let queries = [
            VectorQuery(vector: vectors[0], limit: 10),
            VectorQuery(vector: vectors[1], limit: 3, filters: KnowledgeFilters(labels: ["five"])),
            VectorQuery(vector: vectors[2], limit: 50, filters: KnowledgeFilters(documentId: "d1")),
            VectorQuery(vector: [1, 0], limit: 10),  // the wrong dimension: nothing
            VectorQuery(vector: vectors[4], limit: 1),
        ]
        let before = queries.map { rows.nearest(to: $0.vector, limit: $0.limit, filters: $0.filters, parallelism: 1) }
        // The best row of the first query is removed: no query may see it any more.
        let removed = before[0][0].id
        rows.remove(id: removed)
        for parallelism in [1, 2] {
            let batch = rows.nearest(queries, parallelism: parallelism)
            #expect(batch.count == queries.count)
            for (query, found) in zip(queries, batch) {
                let alone = rows.nearest(to: query.vector, limit: query.limit, filters: query.filters, parallelism: 1)
                #expect(found.map(\.id) == alone.map(\.id))
                #expect(found.map(\.score) == alone.map(\.score), "the same arithmetic, batched or not")
                #expect(!found.contains { $0.id == removed })
            }
            #expect(batch.map(\.count) == [10, 3, 50, 0, 1])
            #expect(batch[1].allSatisfy { Int($0.id.dropFirst())! % 5 == 0 })
            #expect(batch[2].allSatisfy { Int($0.id.dropFirst())! % 3 == 1 })
            // Scores are dot products of the half-precision rows, best first.
            #expect(batch[0].map(\.score) == batch[0].map(\.score).sorted(by: >))
            #expect(abs(batch[4][0].score - before[4][0].score) < 1e-6 || before[4][0].id == removed)
        }
        // Each query's ranking, filters and all, is a brute-force dot product's, in doubles, of
        // the rows as stored (half floats).
        let all = Self.vectors(VectorRows.parallelThreshold + 3, dimensions: dimensions, seed: 7)
            .map { $0.map { Double(Float(Float16($0))) } }
        let batch = rows.nearest(queries, parallelism: 2)
        for (query, found) in zip(queries, batch) where query.vector.count == dimensions {
            let expected = all.indices
                .filter { "c\($0)" != removed && query.filters.admits(documentId: "d\($0 % 3)", sourceThingId: nil, labels: $0 % 5 == 0 ? ["five"] : []) }
                .map { (id: "c\($0)", score: zip(all[$0], query.vector).reduce(0.0) { $0 + $1.0 * Double($1.1) }) }
                .sorted { $0.score > $1.score }
                .prefix(query.limit)
            #expect(found.map(\.id) == expected.map(\.id))
            for (hit, want) in zip(found, expected) { #expect(abs(Double(hit.score) - want.score) < 1e-4) }
        }
    }

    @Test("queries that arrive while a scan runs wait and share the next one, eight at most, on the newest snapshot among them")
    func waitingQueriesShareAScan() async throws {
        let batcher = ScanBatcher()
        let started = Atomic<Bool>(false)
        let batches = Mutex<[(size: Int, rows: Int)]>([])
        let chunks: @Sendable (Int) -> GroupChunks = { count in
            GroupChunks(vectors: Self.rows(count, dimensions: 8), through: Int64(count), scans: batcher)
        }
        // Answers each query with its own limit, so each can tell its answer from another's.
        let scan: @Sendable (VectorRows, [VectorQuery]) -> [ScanBatcher.Hits] = { rows, queries in
            batches.withLock { $0.append((queries.count, rows.entries.count)) }
            if !started.exchange(true, ordering: .relaxed) {
                // The first scan holds the index until nine queries wait behind it.
                let deadline = Date().addingTimeInterval(30)
                while batcher.waitingCount < 9, Date() < deadline { usleep(1_000) }
            }
            return queries.map { [(id: "answer\($0.limit)", score: 0)] }
        }
        let query: @Sendable (Int) -> VectorQuery = { limit in VectorQuery(vector: [Float](repeating: 0.5, count: 8), limit: limit) }
        let first = Task { await batcher.nearest(query(100), in: chunks(4), scan: scan) }
        while !started.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(1)) }
        let answers = await withTaskGroup(of: (Int, String?).self) { group in
            for limit in 1...9 {
                group.addTask { (limit, await batcher.nearest(query(limit), in: chunks(4 + limit), scan: scan).first?.id) }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(await first.value.first?.id == "answer100")
        for limit in 1...9 { #expect(answers[limit] == "answer\(limit)") }
        let seen = batches.withLock { $0 }
        #expect(seen.map(\.size) == [1, 8, 1])
        // The batch of eight holds eight of the snapshots from 5 to 13 rows: it ran on the newest of them.
        #expect(seen.count == 3 && seen[1].rows >= 12)
        #expect(batcher.waitingCount == 0)
    }
}
