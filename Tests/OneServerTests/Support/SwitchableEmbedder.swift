import OneCore
import Synchronization

/// The lexical embedder under one of two model names, switched at will: a server whose
/// `--embedder` changed, without restarting it. Vectors of the two names are the same numbers,
/// but the index never compares vectors of different models, so that does not show.
final class SwitchableEmbedder: Embedder {
    static let first = "lexical-hash-v1"
    static let second = "lexical-test-v2"

    private let base = LexicalEmbedder()
    private let current = Mutex(SwitchableEmbedder.first)

    var model: String { current.withLock { $0 } }
    var dimensions: Int { base.dimensions }

    func switchModel(to model: String) { current.withLock { $0 = model } }

    func embed(_ texts: [String]) async throws -> [[Float]] { try await base.embed(texts) }
}
