import Foundation

/// Full-text search over one group's chunks: BM25 on an inverted index in memory, kept current
/// from the event log together with the group's vectors.
///
/// Its statistics (how many chunks, how long they are, how many hold each word) are the
/// group's own, so no other tenant's writes move a score; a database's full-text index
/// shared by every tenant would let one tenant learn, from its own scores, how common a word
/// is in the others' data. Ranking reads only the postings of the query's words and keeps the
/// best in a bounded sorted list. A value: readers search a copy while the owner changes its
/// own. A change made while a copy is held shares the chunks' entries and terms
/// (``AppendOnlyArray``) and IDs (``WriterSlots``). It still copies the arrays of plain numbers,
/// the list of posting lists (a reference per word), the posting lists of the words it touches,
/// and the word table when it adds a word: a fraction of a millisecond at 100,000 chunks.
package struct TextPostings: Sendable {
    struct Posting: Sendable {
        var slot: UInt32
        var frequency: UInt32
    }

    /// BM25's usual constants (Lucene's and SQLite FTS5's).
    static let k1: Float = 1.2
    static let b: Float = 0.75

    private var termIndex: [String: Int] = [:]
    private var postings: [[Posting]] = []
    /// Live chunks holding each term.
    private var documentFrequency: [Int] = []
    private var entries = AppendOnlyArray<VectorRows.Entry>()
    private var lengths: [UInt32] = []
    /// Each slot's distinct terms, to take a removed chunk out of the statistics.
    private var termsOf = AppendOnlyArray<[UInt32]>()
    private var live: [Bool] = []
    private var slots = WriterSlots()
    private var liveCount = 0
    private var liveLength = 0
    private var postingCount = 0

    package init() {}

    package var count: Int { liveCount }
    /// The distinct words held.
    package var termCount: Int { termIndex.count }

    var bytes: Int { postingCount * 12 + entries.count * 180 + termIndex.count * 64 }

    /// A copy about to change, when another copy changed the shared slots since it was made,
    /// numbers its own from its live chunks.
    private mutating func ownSlots() {
        guard !slots.isCurrent else { return }
        let (entries, live) = (self.entries, self.live)
        slots = WriterSlots(entries.indices.lazy.filter { live[$0] }.map { (entries[$0].id, $0) })
    }

    /// Adds a chunk's words; one already present is left alone.
    package mutating func add(_ chunk: IndexedChunk) {
        ownSlots()
        guard slots[chunk.id] == nil else { return }
        let words = TextTerms.indexTerms(in: chunk.text)
        var frequencies: [String: UInt32] = [:]
        for word in words { frequencies[word, default: 0] += 1 }
        let slot = entries.count
        var terms: [UInt32] = []
        terms.reserveCapacity(frequencies.count)
        for (word, frequency) in frequencies {
            let term: Int
            if let known = termIndex[word] {
                term = known
            } else {
                term = postings.count
                termIndex[word] = term
                postings.append([])
                documentFrequency.append(0)
            }
            postings[term].append(Posting(slot: UInt32(slot), frequency: frequency))
            documentFrequency[term] += 1
            terms.append(UInt32(term))
        }
        postingCount += terms.count
        entries.append(
            VectorRows.Entry(id: chunk.id, documentId: chunk.documentId, sourceThingId: chunk.sourceThingId, labels: chunk.labels))
        lengths.append(UInt32(words.count))
        termsOf.append(terms)
        live.append(true)
        slots[chunk.id] = slot
        liveCount += 1
        liveLength += words.count
    }

    package mutating func remove(id: String) {
        ownSlots()
        guard let slot = slots.remove(id) else { return }
        live[slot] = false
        liveCount -= 1
        for term in termsOf[slot] { documentFrequency[Int(term)] -= 1 }
        liveLength -= Int(lengths[slot])
        let dead = entries.count - liveCount
        if dead > 1024, dead * 4 > entries.count { compact() }
    }

    /// Renumbers the live chunks and the words they hold, dropping removed chunks' postings and
    /// words no chunk holds any more, once removed chunks are a quarter of the index.
    private mutating func compact() {
        var slotNumbers = [UInt32](repeating: .max, count: entries.count)
        var next: UInt32 = 0
        for slot in entries.indices where live[slot] {
            slotNumbers[slot] = next
            next += 1
        }
        var termNumbers = [Int](repeating: -1, count: postings.count)
        var keptPostings: [[Posting]] = []
        var keptFrequency: [Int] = []
        for term in postings.indices where documentFrequency[term] > 0 {
            termNumbers[term] = keptPostings.count
            keptPostings.append(postings[term].compactMap { posting in
                let slot = slotNumbers[Int(posting.slot)]
                return slot == .max ? nil : Posting(slot: slot, frequency: posting.frequency)
            })
            keptFrequency.append(documentFrequency[term])
        }
        postings = keptPostings
        documentFrequency = keptFrequency
        postingCount = postings.reduce(0) { $0 + $1.count }
        termIndex = termIndex.compactMapValues { termNumbers[$0] >= 0 ? termNumbers[$0] : nil }
        let kept = entries.indices.filter { live[$0] }
        let (entries, termsOf) = (self.entries, self.termsOf)
        self.entries = AppendOnlyArray(kept.lazy.map { entries[$0] })
        lengths = kept.map { lengths[$0] }
        self.termsOf = AppendOnlyArray(kept.lazy.map { termsOf[$0].map { UInt32(termNumbers[Int($0)]) } })
        live = Array(repeating: true, count: kept.count)
        slots = WriterSlots(self.entries.lazy.enumerated().map { (id: $0.element.id, slot: $0.offset) })
    }

    /// The `limit` live chunks that best match any of `terms` (from ``TextTerms/queryTerms(in:)``)
    /// by BM25, best first, among those the filters admit.
    package func best(matching terms: [String], limit: Int, filters: KnowledgeFilters) -> [(id: String, score: Float)] {
        var scores: [Float] = []
        return best(matching: terms, limit: limit, filters: filters, scores: &scores)
    }

    /// `best(matching:limit:filters:)` accumulating in `scores`, a buffer of zeros kept by the
    /// caller from one query to the next: it is grown to the index's size if need be and left
    /// all zeros again, so a query costs what its words' postings cost, not the index's size.
    func best(
        matching terms: [String], limit: Int, filters: KnowledgeFilters, scores: inout [Float]
    ) -> [(id: String, score: Float)] {
        guard limit > 0, liveCount > 0 else { return [] }
        let chunks = Float(liveCount)
        let averageLength = max(Float(liveLength) / chunks, 1)
        if scores.count < entries.count { scores += repeatElement(0, count: entries.count - scores.count) }
        var touched: [Int] = []
        defer { for slot in touched { scores[slot] = 0 } }
        for word in terms {
            guard let term = termIndex[word], documentFrequency[term] > 0 else { continue }
            let holding = Float(documentFrequency[term])
            // Lucene's form: never negative, so a word in most chunks still counts a little.
            let idf = log(1 + (chunks - holding + 0.5) / (holding + 0.5))
            for posting in postings[term] {
                let slot = Int(posting.slot)
                guard live[slot] else { continue }
                let frequency = Float(posting.frequency)
                let norm = Self.k1 * (1 - Self.b + Self.b * Float(lengths[slot]) / averageLength)
                if scores[slot] == 0 { touched.append(slot) }
                scores[slot] += idf * frequency * (Self.k1 + 1) / (frequency + norm)
            }
        }
        var best = TopScores(limit: limit)
        for slot in touched where best.wouldKeep(scores[slot]) {
            if !filters.isEmpty {
                let entry = entries[slot]
                guard filters.admits(documentId: entry.documentId, sourceThingId: entry.sourceThingId, labels: entry.labels)
                else { continue }
            }
            best.insert(scores[slot], slot)
        }
        return best.ranked.map { (entries[$0.slot].id, $0.score) }
    }
}
