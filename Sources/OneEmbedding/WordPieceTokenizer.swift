import Foundation

/// The all-MiniLM-L6-v2 tokenizer: BERT uncased basic tokenization followed by
/// greedy longest-match-first WordPiece.
///
/// Produces the same ids as Hugging Face `tokenizers` with the model's
/// `tokenizer.json` (BertNormalizer, BertPreTokenizer, WordPiece with `##`
/// continuations and `[UNK]`, at most 100 characters per word).
struct WordPieceTokenizer: Sendable {
    /// Words longer than this many Unicode scalars become a single `[UNK]`.
    static let maxInputCharsPerWord = 100

    let vocabulary: Vocabulary
    /// `[CLS]`, prepended to every model input.
    let classifierID: Int32
    /// `[SEP]`, appended to every model input.
    let separatorID: Int32
    /// `[UNK]`, used for words that cannot be split into vocabulary pieces.
    let unknownID: Int32

    /// Loads the vocabulary from `vocab.txt` at `url`.
    init(contentsOf url: URL) throws(MiniLMError) {
        try self.init(vocabulary: Vocabulary(contentsOf: url), source: url.path)
    }

    /// Wraps `vocabulary`, which must contain `[CLS]`, `[SEP]` and `[UNK]`;
    /// `source` names it in errors.
    init(vocabulary: Vocabulary, source: String) throws(MiniLMError) {
        func special(_ token: String) throws(MiniLMError) -> Int32 {
            guard let id = vocabulary.id(of: token) else {
                throw .malformedVocabulary(path: source, reason: "it has no \(token) token")
            }
            return id
        }
        self.vocabulary = vocabulary
        classifierID = try special("[CLS]")
        separatorID = try special("[SEP]")
        unknownID = try special("[UNK]")
    }

    /// WordPiece ids of `text` without `[CLS]`/`[SEP]`, stopping after `limit` ids.
    func tokenIDs(_ text: String, limit: Int = .max) -> [Int32] {
        var ids: [Int32] = []
        var bytes: [UInt8] = []
        var boundaries: [Int] = []
        BasicTokenizer.forEachWord(in: text) { word in
            appendPieces(of: word, to: &ids, bytes: &bytes, boundaries: &boundaries)
            return ids.count < limit
        }
        if ids.count > limit { ids.removeSubrange(limit...) }
        return ids
    }

    /// Model input for `text`: `[CLS]`, its first `maxLength - 2` ids, `[SEP]`.
    func encode(_ text: String, maxLength: Int) -> [Int32] {
        precondition(maxLength >= 2, "maxLength must leave room for [CLS] and [SEP]")
        var ids = [classifierID]
        ids += tokenIDs(text, limit: maxLength - 2)
        ids.append(separatorID)
        return ids
    }

    /// Appends the WordPiece ids of one basic-tokenizer word, or `[UNK]` if it
    /// is too long or some part of it matches no vocabulary entry.
    ///
    /// `bytes` and `boundaries` are scratch buffers reused across words.
    private func appendPieces(of word: [Unicode.Scalar], to ids: inout [Int32], bytes: inout [UInt8], boundaries: inout [Int]) {
        guard word.count <= Self.maxInputCharsPerWord else {
            ids.append(unknownID)
            return
        }
        // bytes = "##" + UTF-8 of the word; boundaries[i] = offset of scalar i in the word's bytes.
        let hash = UInt8(ascii: "#")
        bytes.removeAll(keepingCapacity: true)
        bytes.append(hash)
        bytes.append(hash)
        boundaries.removeAll(keepingCapacity: true)
        for scalar in word {
            boundaries.append(bytes.count - 2)
            UTF8.encode(scalar) { bytes.append($0) }
        }
        boundaries.append(bytes.count - 2)

        let firstPiece = ids.count
        let matched = bytes.withUnsafeMutableBufferPointer { buffer in
            var start = 0
            while start < word.count {
                // A continuation piece is looked up as "##" + its bytes: the two
                // bytes before it belong to pieces already consumed, so the prefix
                // is written over them in place.
                let keyStart: Int
                if start == 0 {
                    keyStart = 2
                } else {
                    keyStart = boundaries[start]
                    buffer[keyStart] = hash
                    buffer[keyStart + 1] = hash
                }
                // Skip candidates longer than any vocabulary entry: this bounds
                // the work per word without changing the result.
                var end = word.count
                while end > start + 1, boundaries[end] + 2 - keyStart > vocabulary.longestToken {
                    end -= 1
                }
                var piece: Int32?
                while end > start {
                    if let id = vocabulary.id(of: UnsafeBufferPointer(rebasing: buffer[keyStart..<(boundaries[end] + 2)])) {
                        piece = id
                        break
                    }
                    end -= 1
                }
                guard let piece else { return false }
                ids.append(piece)
                start = end
            }
            return true
        }
        if !matched {
            ids.removeSubrange(firstPiece...)
            ids.append(unknownID)
        }
    }
}
