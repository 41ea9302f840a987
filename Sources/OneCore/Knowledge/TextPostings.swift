import Foundation

/// Full-text search over one group's chunks: BM25 on an inverted index in memory, kept current
/// from the event log together with the group's vectors.
///
/// Its statistics (how many chunks, how long they are, how many hold each word) are the
/// group's own, so no other tenant's writes move a score; a database's full-text index
/// shared by every tenant would let one tenant learn, from its own scores, how common a word
/// is in the others' data. Ranking touches only the postings of the query's words and keeps
/// the best with a bounded heap. A value: copies are snapshots for readers while the owner
/// appends.
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
    private var entries: [VectorRows.Entry] = []
    private var lengths: [UInt32] = []
    /// Each slot's distinct terms, to take a removed chunk out of the statistics.
    private var termsOf: [[UInt32]] = []
    private var live: [Bool] = []
    private var slots: [String: Int] = [:]
    private var liveLength = 0
    private var postingCount = 0

    package init() {}

    package var count: Int { slots.count }

    var bytes: Int { postingCount * 12 + entries.count * 180 + termIndex.count * 64 }

    /// Adds a chunk's words; one already present is left alone.
    package mutating func add(_ chunk: IndexedChunk) {
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
        liveLength += words.count
    }

    package mutating func remove(id: String) {
        guard let slot = slots.removeValue(forKey: id) else { return }
        live[slot] = false
        for term in termsOf[slot] { documentFrequency[Int(term)] -= 1 }
        termsOf[slot] = []
        liveLength -= Int(lengths[slot])
        let dead = entries.count - slots.count
        if dead > 1024, dead * 4 > entries.count { compact() }
    }

    /// Renumbers the live chunks and drops the postings of removed ones, once those are a
    /// quarter of the index.
    private mutating func compact() {
        var renumbered = [UInt32](repeating: .max, count: entries.count)
        var next: UInt32 = 0
        for slot in entries.indices where live[slot] {
            renumbered[slot] = next
            next += 1
        }
        postingCount = 0
        for term in postings.indices {
            postings[term] = postings[term].compactMap { posting in
                let slot = renumbered[Int(posting.slot)]
                return slot == .max ? nil : Posting(slot: slot, frequency: posting.frequency)
            }
            postingCount += postings[term].count
        }
        let kept = entries.indices.filter { live[$0] }
        entries = kept.map { entries[$0] }
        lengths = kept.map { lengths[$0] }
        termsOf = kept.map { termsOf[$0] }
        live = Array(repeating: true, count: kept.count)
        slots = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($0.element.id, $0.offset) })
    }

    /// The `limit` live chunks that best match any of `terms` (from ``TextTerms/queryTerms(in:)``)
    /// by BM25, best first, among those the filters admit.
    package func best(matching terms: [String], limit: Int, filters: KnowledgeFilters) -> [(id: String, score: Float)] {
        guard limit > 0, !slots.isEmpty else { return [] }
        let chunks = Float(slots.count)
        let averageLength = max(Float(liveLength) / chunks, 1)
        var scores = [Float](repeating: 0, count: entries.count)
        var touched: [Int] = []
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
