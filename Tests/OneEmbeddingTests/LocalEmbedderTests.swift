import Foundation
import OneCore
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

    @Test("past its bound of waiting texts a request is refused as unavailable, and taken again once the queue drains")
    func boundedQueue() async throws {
        let directory = try #require(TestModel.directory)
        let embedder = try LocalEmbedder(directory: directory, threads: 1, maxWaiting: 4)
        let long = Array(repeating: "A sentence long enough to keep one thread busy for a while, again and again.", count: 300)
        // The one thread takes the long batch; three texts may then wait behind it, not five.
        async let busy = embedder.embed(long)
        while embedder.busyThreads == 0 || embedder.waitingTexts > 0 { try await Task.sleep(for: .milliseconds(1)) }
        async let waiting = embedder.embed(["first", "second", "third"])
        while embedder.waitingTexts < 3 { try await Task.sleep(for: .milliseconds(1)) }
        let refused = await #expect(throws: OneError.self) { try await embedder.embed(["one", "too", "many"]) }
        #expect(refused?.code == .unavailable && refused?.retryAfter == 1)
        #expect(try await busy.count == 300)
        #expect(try await waiting.count == 3)
        #expect(try await embedder.embed(["after"]).count == 1, "taken again once the queue drained")
    }
}
