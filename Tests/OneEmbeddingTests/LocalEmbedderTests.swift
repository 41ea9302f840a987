import Foundation
import Testing
@testable import OneEmbedding

/// The server's wrapper: concurrent requests batched together and large batches split across
/// threads must give each caller exactly the vectors of its own texts, in order.
@Suite(
    "Local embedder",
    .enabled(if: TestModel.hasWeights, "set ONE_TEST_MODELS_DIR to a folder holding model.safetensors and vocab.txt")
)
struct LocalEmbedderTests {
    @Test("concurrent callers and a split batch each get their own vectors, in order")
    func batchingKeepsEachCallersVectors() async throws {
        let directory = try #require(TestModel.directory)
        let embedder = try LocalEmbedder(directory: directory, threads: 2)
        let model = try TestModel.model()
        let texts = (0..<24).map { "Sentence number \($0) is about topic \($0 % 5)." }
        let expected = model.embed(texts)

        // One large batch: split across the two threads, joined in order.
        let whole = try await embedder.embed(texts)
        #expect(whole.count == texts.count)
        for (vector, reference) in zip(whole, expected) { #expect(cosine(vector, reference) > 0.9999) }

        // Many single-text callers at once: batched together, each answered with its own.
        let answers = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (index, text) in texts.enumerated() {
                group.addTask { (index, try await embedder.embed([text]).first ?? []) }
            }
            var answers: [Int: [Float]] = [:]
            for try await (index, vector) in group { answers[index] = vector }
            return answers
        }
        for (index, reference) in expected.enumerated() {
            #expect(cosine(answers[index] ?? [], reference) > 0.9999, "text \(index)")
        }
        #expect(try await embedder.embed([]).isEmpty)
    }
}
