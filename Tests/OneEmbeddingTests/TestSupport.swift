import Foundation
import Testing
@testable import OneEmbedding

/// Reference data written by `scripts/minilm-reference.py` (Hugging Face
/// `tokenizers` + a float64 numpy forward pass).
struct GoldenFixture: Decodable, Sendable {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let text: String
        /// Model input ids, with `[CLS]`/`[SEP]`, truncated to 256.
        let ids: [Int32]
        /// Untruncated WordPiece count without `[CLS]`/`[SEP]`.
        let tokenCount: Int
        /// Reference sentence embedding (embedding cases only).
        let embedding: [Float]?

        var testDescription: String {
            let shown = text.count > 48 ? text.prefix(48) + "…" : Substring(text)
            return String(reflecting: String(shown))
        }
    }

    let model: String
    let maxTokens: Int
    let embeddingCases: [Case]
    let tokenCases: [Case]

    static let shared = Result<GoldenFixture, any Error> {
        guard let url = Bundle.module.url(forResource: "golden", withExtension: "json") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try JSONDecoder().decode(GoldenFixture.self, from: Data(contentsOf: url))
    }

    /// Cases for parameterised tests; empty if the fixture failed to load (`fixtureLoads` reports that).
    static var embeddingCases: [Case] { (try? shared.get())?.embeddingCases ?? [] }
    static var allCases: [Case] { (try? shared.get()).map { $0.embeddingCases + $0.tokenCases } ?? [] }
}

/// Locates the model files through `ONE_TEST_MODELS_DIR`.
enum TestModel {
    static let directory: URL? = {
        guard let path = ProcessInfo.processInfo.environment["ONE_TEST_MODELS_DIR"], !path.isEmpty else { return nil }
        return URL(fileURLWithPath: path, isDirectory: true)
    }()

    static func has(_ file: String) -> Bool {
        guard let directory else { return false }
        return FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path)
    }

    static var hasVocabulary: Bool { has("vocab.txt") }
    static var hasWeights: Bool { has("vocab.txt") && has("model.safetensors") }

    /// Loaded once and shared by every test (the model is immutable and thread-safe).
    private static let loaded: Result<MiniLM, any Error>? = directory.map { directory in
        Result { try MiniLM(directory: directory) }
    }

    static func model() throws -> MiniLM {
        guard let loaded else { throw CocoaError(.fileNoSuchFile) }
        return try loaded.get()
    }

    static func tokenizer() throws -> WordPieceTokenizer {
        guard let directory else { throw CocoaError(.fileNoSuchFile) }
        return try WordPieceTokenizer(contentsOf: directory.appendingPathComponent("vocab.txt"))
    }
}

func dot(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

func cosine(_ a: [Float], _ b: [Float]) -> Double {
    dot(a, b) / (dot(a, a).squareRoot() * dot(b, b).squareRoot())
}
