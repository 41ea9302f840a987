import Foundation

/// The all-MiniLM-L6-v2 sentence-embedding model, run natively on the CPU.
///
/// Produces the same vectors as sentence-transformers' `all-MiniLM-L6-v2`
/// (cosine > 0.9999 against a float64 reference): BERT uncased WordPiece
/// tokenization truncated to 256 tokens, a 6-layer 384-wide BERT encoder,
/// mean pooling over all tokens and L2 normalisation. The instance is
/// immutable once loaded, so one model can serve many threads at once.
public final class MiniLM: Sendable {
    /// Length of every embedding.
    public static let dimensions = 384
    /// Name of the model these embeddings come from; vectors from different models are not comparable.
    public static let modelID = "all-MiniLM-L6-v2"

    /// Longest model input in tokens, including `[CLS]` and `[SEP]` (the model's `max_seq_length`).
    static let maxTokens = 256
    /// Texts are embedded together until a batch holds this many tokens, so the
    /// weights are streamed from memory once per batch instead of once per text.
    static let batchTokenLimit = 512

    let tokenizer: WordPieceTokenizer
    private let encoder: BertEncoder

    /// Loads vocab.txt and model.safetensors from `directory`.
    ///
    /// - Throws: `MiniLMError` naming the missing or malformed file or tensor.
    public init(directory: URL) throws {
        let vocabularyURL = directory.appendingPathComponent("vocab.txt")
        let weightsURL = directory.appendingPathComponent("model.safetensors")
        for url in [weightsURL, vocabularyURL] where !FileManager.default.fileExists(atPath: url.path) {
            throw MiniLMError.fileNotFound(file: url.lastPathComponent, directory: directory.path)
        }
        let tokenizer = try WordPieceTokenizer(contentsOf: vocabularyURL)
        let encoder = try BertEncoder(SafeTensors(contentsOf: weightsURL))
        guard tokenizer.vocabulary.count <= encoder.vocabularySize else {
            throw MiniLMError.malformedVocabulary(
                path: vocabularyURL.path,
                reason: "it has \(tokenizer.vocabulary.count) tokens but the model embeds only \(encoder.vocabularySize)")
        }
        self.tokenizer = tokenizer
        self.encoder = encoder
    }

    /// L2-normalised 384-dim embeddings, one per text, in order. Thread-safe: callable concurrently from several threads.
    ///
    /// Texts longer than 256 tokens are truncated; an empty text still gets a
    /// (well-defined) embedding. Runs on the calling thread.
    public func embed(_ texts: [String]) -> [[Float]] {
        let sequences = texts.map { tokenizer.encode($0, maxLength: Self.maxTokens) }
        guard let longest = sequences.map(\.count).max() else { return [] }
        let totalTokens = sequences.reduce(0) { $0 + $1.count }
        let workspace = ForwardWorkspace(rows: min(totalTokens, max(Self.batchTokenLimit, longest)),
                                         longestSequence: longest)
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        var start = sequences.startIndex
        while start < sequences.endIndex {
            var end = start + 1
            var rows = sequences[start].count
            while end < sequences.endIndex, rows + sequences[end].count <= workspace.rows {
                rows += sequences[end].count
                end += 1
            }
            vectors += encoder.embed(sequences[start..<end], workspace: workspace)
            start = end
        }
        return vectors
    }

    /// WordPiece tokens the text would use (excluding [CLS]/[SEP]), before truncation.
    public func tokenCount(_ text: String) -> Int {
        tokenizer.tokenIDs(text).count
    }
}
