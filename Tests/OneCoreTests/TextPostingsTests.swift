import Foundation
@testable import OneCore
import Testing

@Suite("Text search index")
struct TextPostingsTests {
    static func chunk(_ id: String, _ text: String, labels: [String] = []) -> IndexedChunk {
        IndexedChunk(id: id, text: text, vector: [], documentId: nil, sourceThingId: nil, labels: labels)
    }

    @Test("BM25: a rare word outweighs a common one, a shorter chunk outweighs a longer, and scores match the formula")
    func ranking() {
        var index = TextPostings()
        index.add(Self.chunk("a", "apple banana"))
        index.add(Self.chunk("b", "banana cherry"))
        index.add(Self.chunk("c", "banana cherry date elderberry fig grape"))
        index.add(Self.chunk("d", "kiwi"))
        let found = index.best(matching: TextTerms.queryTerms(in: "Apple banana"), limit: 10, filters: KnowledgeFilters())
        #expect(found.map(\.id) == ["a", "b", "c"], "a holds both words; b is shorter than c")
        // a: both terms, length 2, average length (2 + 2 + 6 + 1) / 4 = 2.75.
        func term(_ holding: Float, _ length: Float) -> Float {
            let idf = log(1 + (4 - holding + 0.5) / (holding + 0.5))
            return idf * 2.2 / (1 + 1.2 * (0.25 + 0.75 * length / 2.75))
        }
        #expect(abs(found[0].score - (term(1, 2) + term(3, 2))) < 1e-5)
        #expect(abs(found[2].score - term(3, 6)) < 1e-5)
        #expect(index.best(matching: ["nothing"], limit: 10, filters: KnowledgeFilters()).isEmpty)
        // A reused buffer gives the same answer and is left all zeros.
        var scores = [Float](repeating: 0, count: 2)
        let again = index.best(matching: TextTerms.queryTerms(in: "Apple banana"), limit: 10, filters: KnowledgeFilters(), scores: &scores)
        #expect(again.map(\.id) == found.map(\.id) && again.map(\.score) == found.map(\.score))
        #expect(scores.count == 4 && scores.allSatisfy { $0 == 0 })
    }

    @Test("filters narrow the ranking, and a query's words are stemmed and stripped of stop words like the chunks'")
    func filtersAndTerms() {
        var index = TextPostings()
        index.add(Self.chunk("a", "Baking breads", labels: ["kitchen"]))
        index.add(Self.chunk("b", "The bread", labels: ["shop"]))
        let all = index.best(matching: TextTerms.queryTerms(in: "the BREAD"), limit: 10, filters: KnowledgeFilters())
        #expect(Set(all.map(\.id)) == ["a", "b"])
        let kitchen = index.best(matching: ["bread"], limit: 10, filters: KnowledgeFilters(labels: ["kitchen"]))
        #expect(kitchen.map(\.id) == ["a"])
        #expect(TextTerms.queryTerms(in: "the and of") == [])
        #expect(TextTerms.words(in: "Crème brûlée, 2 ways") == ["crème", "brûlée", "2", "ways"], "text beyond ASCII keeps its letters")
    }

    @Test("removing chunks leaves the statistics as if they had never been added, through compaction too")
    func removal() {
        var kept = TextPostings()
        var churned = TextPostings()
        for index in 0..<3000 {
            let text = "word\(index % 17) common shared topic\(index % 5) only\(index)"
            if index % 3 == 0 { kept.add(Self.chunk("c\(index)", text)) }
            churned.add(Self.chunk("c\(index)", text))
        }
        // Two in three removed: past a quarter of the index and a thousand chunks, so it compacts
        // (once, at the 1,025th removal).
        let words = churned.termCount
        for index in 0..<3000 where index % 3 != 0 { churned.remove(id: "c\(index)") }
        #expect(churned.count == kept.count)
        #expect(churned.termCount <= words - 1025, "the words only chunks removed before compaction held are gone")
        for query in [["word3", "common"], ["topic2"], ["shared", "word16", "topic4"]] {
            let expected = kept.best(matching: query, limit: 20, filters: KnowledgeFilters())
            let actual = churned.best(matching: query, limit: 20, filters: KnowledgeFilters())
            #expect(actual.map(\.id) == expected.map(\.id))
            #expect(zip(actual, expected).allSatisfy { abs($0.score - $1.score) < 1e-4 })
        }
        // A chunk added after compaction is found, and one removed twice changes nothing.
        churned.add(Self.chunk("late", "unusual"))
        churned.remove(id: "c1")
        #expect(churned.best(matching: ["unusual"], limit: 5, filters: KnowledgeFilters()).map(\.id) == ["late"])
    }
}
