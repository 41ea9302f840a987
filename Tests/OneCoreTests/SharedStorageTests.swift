import Foundation
@testable import OneCore
import Testing

/// The storage copies of a search index share, so that a search holding a copy costs the
/// index's writer no copy of every chunk.
@Suite("Storage shared between copies of an index")
struct SharedStorageTests {
    @Test("an append-only array reads back what was appended, across blocks, and its copies stay values")
    func appendOnlyArray() {
        var writer = AppendOnlyArray<String>()
        for number in 0..<5_000 { writer.append("e\(number)") }
        #expect(writer.count == 5_000 && writer[4_095] == "e4095" && writer[4_096] == "e4096")
        let snapshot = writer
        var other = writer
        writer.append("writer")
        // The snapshot sees what it held; a second copy appending takes its own block.
        #expect(snapshot.count == 5_000 && Array(snapshot.suffix(1)) == ["e4999"])
        other.append("other")
        #expect(writer[5_000] == "writer" && other[5_000] == "other")
        writer.append("writer again")
        #expect(Array(writer.suffix(2)) == ["writer", "writer again"] && other.count == 5_001)
        #expect(AppendOnlyArray(["a", "b"]).elementsEqual(["a", "b"]))
        #expect(AppendOnlyArray<Int>().isEmpty)
    }

    @Test("writer slots answer the copy that changed them last")
    func writerSlots() {
        var slots = WriterSlots([(id: "a", slot: 0), (id: "b", slot: 1)])
        #expect(slots["a"] == 0 && slots["b"] == 1 && slots["c"] == nil)
        let snapshot = slots
        slots["c"] = 2
        let removed = slots.remove("a")
        let removedAgain = slots.remove("a")
        #expect(removed == 0 && removedAgain == nil && slots["c"] == 2)
        _ = snapshot  // held while the writer changed the table, and never read: that would trap.
    }

    @Test("a copy that reads slots another copy changed since traps rather than answer wrongly")
    func staleSlotsTrap() async {
        await #expect(processExitsWith: .failure) {
            var slots = WriterSlots([(id: "a", slot: 0)])
            let snapshot = slots
            slots["b"] = 1
            _ = snapshot["a"]
        }
    }

    enum Step {
        case add(Int)
        case remove(Int)
    }

    static func chunk(_ number: Int) -> IndexedChunk {
        let raw: [Float] = [1, sin(Float(number)), cos(Float(number) * 0.7), Float(number % 13) / 13]
        let norm = sqrt(raw.reduce(0) { $0 + $1 * $1 })
        return IndexedChunk(
            id: "c\(number)", text: "word\(number % 7) common w\(number % 101)", vector: raw.map { $0 / norm },
            documentId: nil, sourceThingId: nil, labels: [])
    }

    static func apply(_ step: Step, to chunks: inout GroupChunks) {
        switch step {
        case .add(let number): chunks.add(chunk(number))
        case .remove(let number): chunks.remove(id: "c\(number)")
        }
    }

    static func built(_ steps: some Sequence<Step>) -> GroupChunks {
        var chunks = GroupChunks(vectors: VectorRows(model: "m", dimensions: 4), scans: ScanBatcher())
        for step in steps { apply(step, to: &chunks) }
        return chunks
    }

    /// What searches see of an index: its size, and rankings by words and by vector.
    static func answers(_ chunks: GroupChunks) -> [String] {
        let words = ["word3 common", "w42 word5"].flatMap { query in
            chunks.text.best(matching: TextTerms.queryTerms(in: query), limit: 15, filters: KnowledgeFilters()).map { "\($0.id) \($0.score)" }
        }
        // The fork's vectors too: a row of one copy overwritten by the other would rank first.
        let vectors = [77, 10_001, 10_150].flatMap { number in
            chunks.vectors.nearest(to: chunk(number).vector, limit: 15, filters: KnowledgeFilters()).map { "\($0.id) \($0.score)" }
        }
        return ["\(chunks.text.count)"] + words + vectors
    }

    @Test("copies of an index, held by searches or forked and changed apart, each answer as an index built afresh with their own changes")
    func copiesStayValues() {
        var steps: [Step] = []
        for number in 0..<6_000 {
            steps.append(.add(number))
            if number % 3 == 0, number > 0 { steps.append(.remove(number - 1)) }
        }
        var index = Self.built([])
        var held: [(chunks: GroupChunks, steps: Int)] = []
        var fork: GroupChunks?
        for (done, step) in steps.enumerated() {
            Self.apply(step, to: &index)
            if done % 997 == 0 { held.append((index, done + 1)) }  // a search's snapshot, kept
            if done == 4_500 { fork = index }  // after a compaction, so the two share blocks to the end
        }
        // The fork goes its own way: its own chunks into the blocks the index wrote on, and removals.
        var forked = try! #require(fork)
        var forkSteps = Array(steps.prefix(4_501))
        for number in 10_000..<10_300 {
            forkSteps.append(.add(number))
            if number % 2 == 0 { forkSteps.append(.remove(number - 9_990)) }
        }
        for step in forkSteps.dropFirst(4_501) { Self.apply(step, to: &forked) }

        #expect(Self.answers(index) == Self.answers(Self.built(steps)))
        #expect(Self.answers(forked) == Self.answers(Self.built(forkSteps)))
        for (chunks, count) in held {
            #expect(Self.answers(chunks) == Self.answers(Self.built(steps.prefix(count))), "the snapshot after \(count) steps")
        }
        #expect(held.count > 5, "snapshots before and after compactions")
    }
}
