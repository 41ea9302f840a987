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
        var slots = WriterSlots(numbering: ["a", "b"])
        #expect(slots["a"] == 0 && slots["b"] == 1 && slots["c"] == nil)
        let snapshot = slots
        slots["c"] = 2
        #expect(slots.remove("a") == 0 && slots.remove("a") == nil && slots["c"] == 2)
        _ = snapshot  // held while the writer changed the table, and never read: that would trap.
    }

    @Test("a copy that reads slots another copy changed since traps rather than answer wrongly")
    func staleSlotsTrap() async {
        await #expect(processExitsWith: .failure) {
            var slots = WriterSlots(numbering: ["a"])
            let snapshot = slots
            slots["b"] = 1
            _ = snapshot["a"]
        }
    }

    @Test("an index copied by a search and changed after reads the same as one never copied")
    func indexesSharingStorage() {
        func chunk(_ number: Int) -> IndexedChunk {
            IndexedChunk(
                id: "c\(number)", text: "word\(number % 7) common", vector: [1, Float(number % 5), 0, 0].map { $0 / 5 },
                documentId: nil, sourceThingId: nil, labels: [])
        }
        var shared = GroupChunks(vectors: VectorRows(model: "m", dimensions: 4), scans: ScanBatcher())
        var alone = shared
        var held: [GroupChunks] = []
        for number in 0..<6_000 {
            shared.add(chunk(number))
            if number % 500 == 0 { held.append(shared) }  // a search's snapshot, kept
            if number % 3 == 0, number > 0 {
                shared.remove(id: "c\(number - 1)")
            }
        }
        for number in 0..<6_000 {
            alone.add(chunk(number))
            if number % 3 == 0, number > 0 { alone.remove(id: "c\(number - 1)") }
        }
        let terms = TextTerms.queryTerms(in: "word3 common")
        #expect(shared.text.best(matching: terms, limit: 20, filters: KnowledgeFilters()).map(\.id)
            == alone.text.best(matching: terms, limit: 20, filters: KnowledgeFilters()).map(\.id))
        #expect(shared.vectors.nearest(to: [1, 0.8, 0, 0], limit: 20, filters: KnowledgeFilters()).map(\.id)
            == alone.vectors.nearest(to: [1, 0.8, 0, 0], limit: 20, filters: KnowledgeFilters()).map(\.id))
        // The first snapshot still sees its one chunk only.
        #expect(held[0].text.count == 1 && held[0].vectors.nearest(to: [1, 0, 0, 0], limit: 5, filters: KnowledgeFilters()).map(\.id) == ["c0"])
    }
}
