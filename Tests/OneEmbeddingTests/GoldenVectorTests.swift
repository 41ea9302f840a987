import Foundation
import Testing
@testable import OneEmbedding

@Test("golden fixture loads and covers every kind of input")
func fixtureLoads() throws {
    let fixture = try GoldenFixture.shared.get()
    #expect(fixture.model == MiniLM.modelID)
    #expect(fixture.maxTokens == MiniLM.maxTokens)
    #expect(fixture.embeddingCases.count >= 8)
    #expect(fixture.embeddingCases.allSatisfy { $0.embedding?.count == MiniLM.dimensions })
    #expect(fixture.embeddingCases.contains { $0.text.isEmpty })
    #expect(fixture.embeddingCases.contains { $0.tokenCount > MiniLM.maxTokens })
}

/// Swift embeddings against the float64 reference. Needs the real weights.
@Suite(
    "Golden vectors",
    .enabled(if: TestModel.hasWeights, "set ONE_TEST_MODELS_DIR to a folder holding model.safetensors and vocab.txt")
)
struct GoldenVectorTests {
    @Test("embedding matches the reference", arguments: GoldenFixture.embeddingCases)
    func embeddingMatchesReference(_ golden: GoldenFixture.Case) throws {
        let model = try TestModel.model()
        let reference = try #require(golden.embedding)
        let vector = try #require(model.embed([golden.text]).first)
        #expect(vector.count == MiniLM.dimensions)
        let similarity = cosine(vector, reference)
        #expect(similarity > 0.9999, "cosine \(similarity)")
        #expect(abs(dot(vector, vector).squareRoot() - 1) < 1e-4)
    }

    @Test("token ids and counts match the reference", arguments: GoldenFixture.embeddingCases)
    func tokenIDsMatchReference(_ golden: GoldenFixture.Case) throws {
        let model = try TestModel.model()
        #expect(model.tokenizer.encode(golden.text, maxLength: MiniLM.maxTokens) == golden.ids)
        #expect(model.tokenCount(golden.text) == golden.tokenCount)
    }

    @Test("one batched call equals one call per text")
    func batchMatchesSingleCalls() throws {
        let model = try TestModel.model()
        let texts = GoldenFixture.embeddingCases.map(\.text)
        let batched = model.embed(texts)
        try #require(batched.count == texts.count)
        for (text, vector) in zip(texts, batched) {
            let single = try #require(model.embed([text]).first)
            let difference = zip(single, vector).map { abs($0 - $1) }.max() ?? 0
            #expect(difference < 1e-5, "\(text.prefix(30)): max difference \(difference)")
        }
    }

    @Test("related sentences are closer than unrelated ones")
    func semanticSanity() throws {
        let vectors = try TestModel.model().embed([
            "A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.",
        ])
        #expect(cosine(vectors[0], vectors[1]) > 0.7)
        #expect(cosine(vectors[0], vectors[2]) < 0.3)
    }

    @Test("concurrent calls agree with serial ones")
    func concurrentCalls() async throws {
        let model = try TestModel.model()
        let texts = GoldenFixture.embeddingCases.map(\.text)
        let expected = model.embed(texts)
        try await withThrowingTaskGroup(of: [[Float]].self) { group in
            for _ in 0..<4 {
                group.addTask { model.embed(texts) }
            }
            for try await vectors in group {
                #expect(vectors == expected)
            }
        }
    }

    @Test("no texts, no vectors")
    func emptyInput() throws {
        #expect(try TestModel.model().embed([]).isEmpty)
    }
}
