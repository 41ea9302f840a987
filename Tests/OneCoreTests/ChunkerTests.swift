@testable import OneCore
import Testing

@Suite("Chunking and fusion")
struct ChunkerTests {
    @Test("chunks end on sentence boundaries, stay within size, and share their overlap")
    func boundariesAndOverlap() {
        let sentences = (1...40).map { "Sentence \($0) has exactly six words." }
        let chunker = Chunker(maxTokens: 40, overlapTokens: 12)
        let chunks = chunker.chunks(of: sentences.joined(separator: " "))
        #expect(chunks.count > 5)
        for chunk in chunks {
            #expect(Chunker.estimatedTokens(chunk) <= 40)
            #expect(chunk.hasPrefix("Sentence ") && chunk.hasSuffix("words."), "whole sentences only: \(chunk)")
        }
        // Each chunk after the first starts with the last sentence of the one before it.
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            let lastSentence = Chunker.sentences(of: previous).last ?? ""
            #expect(next.hasPrefix(lastSentence))
        }
        // Nothing is lost: every sentence is in some chunk.
        #expect(sentences.allSatisfy { sentence in chunks.contains { $0.contains(sentence) } })
    }

    @Test("paragraphs split sentences; an over-long sentence is cut by words; punctuation alone makes no chunk")
    func edges() {
        let chunker = Chunker(maxTokens: 8, overlapTokens: 2)
        #expect(Chunker.sentences(of: "One two\n\nthree four. Five") == ["One two", "three four.", "Five"])
        let long = Array(repeating: "word", count: 30).joined(separator: " ")
        let pieces = chunker.chunks(of: long)
        #expect(pieces.allSatisfy { Chunker.estimatedTokens($0) <= 8 })
        #expect(pieces.joined(separator: " ").split(separator: " ").count >= 30)
        #expect(chunker.chunks(of: " ... \n\n !! ").isEmpty)
    }

    @Test("the lexical embedder is deterministic, normalised, and closer for shared words")
    func lexical() async throws {
        let embedder = LexicalEmbedder()
        let vectors = try await embedder.embed(["sourdough starter feeding", "feeding the sourdough starter", "neutron stars collapse"])
        let again = try await embedder.embed(["sourdough starter feeding"])
        #expect(vectors[0] == again[0])
        func dot(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(abs(dot(vectors[0], vectors[0]) - 1) < 1e-5)
        #expect(dot(vectors[0], vectors[1]) > 0.8)
        #expect(dot(vectors[0], vectors[2]) < 0.3)
    }

    @Test("reciprocal rank fusion favours what both lists rank, and keeps first-seen order on ties")
    func fusion() {
        let vector = [ScoredID(id: "a", score: 0.9), ScoredID(id: "b", score: 0.8), ScoredID(id: "c", score: 0.7)]
        let text = [ScoredID(id: "c", score: 9), ScoredID(id: "d", score: 5)]
        let fused = OneService.fuse([vector, text], limit: 3)
        #expect(fused.map(\.id) == ["c", "a", "b"], "b and d tie; b was seen first")
        #expect(OneService.fuse([vector], limit: 2).map(\.id) == ["a", "b"])
    }
}
