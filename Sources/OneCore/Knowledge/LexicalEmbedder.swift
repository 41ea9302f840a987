/// The fallback embedder used when the local model's weights are absent: a hashed bag of
/// words and character trigrams. It works offline and with no setup, and finds passages that
/// share words (or their stems) with the query, but it does not understand paraphrase. Its
/// model ID says so, and vectors from it are never mixed with a real model's.
public struct LexicalEmbedder: Embedder {
    public let model = "lexical-hash-v1"
    public let dimensions: Int

    public init(dimensions: Int = 384) {
        self.dimensions = dimensions
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        texts.map(vector(for:))
    }

    func vector(for text: String) -> [Float] {
        var vector = [Float](repeating: 0, count: dimensions)
        for word in TextTerms.words(in: text) where !TextTerms.isStopWord(word) {
            let stem = TextTerms.stem(word)
            add("w:" + stem, weight: 1, to: &vector)
            let padded = Array("^" + stem + "$")
            if padded.count > 3 {
                for start in 0...(padded.count - 3) { add(String(padded[start..<start + 3]), weight: 0.25, to: &vector) }
            }
        }
        // Dampen repeated terms, keeping the sign the hash gave.
        let damped = vector.map { $0 < 0 ? -(1 + (-$0)).squareRoot() + 1 : (1 + $0).squareRoot() - 1 }
        return Embedding.normalised(damped)
    }

    private func add(_ feature: String, weight: Float, to vector: inout [Float]) {
        let hash = TextTerms.stableHash(feature)
        let index = Int(hash % UInt64(dimensions))
        vector[index] += (hash >> 63) == 0 ? weight : -weight
    }
}

/// Word-level text handling shared by the lexical embedder, the chunker and the local
/// generator: deterministic across runs and machines (no seeded hashing).
enum TextTerms {
    /// Lower-cased runs of letters and digits.
    static func words(in text: String) -> [String] {
        var text = text
        if let words = text.withUTF8(asciiWords) { return words }
        var words: [String] = []
        var current = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// `words` for text that is all ASCII, byte by byte (most text, and many times faster than
    /// walking characters); `nil` for any other text.
    private static func asciiWords(_ utf8: UnsafeBufferPointer<UInt8>) -> [String]? {
        var words: [String] = []
        var word: [UInt8] = []
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): word.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): word.append(byte + 32)
            case 0x80...: return nil
            default:
                guard !word.isEmpty else { continue }
                words.append(String(decoding: word, as: UTF8.self))
                word.removeAll(keepingCapacity: true)
            }
        }
        if !word.isEmpty { words.append(String(decoding: word, as: UTF8.self)) }
        return words
    }

    /// The words full-text search indexes: stemmed, without stop words.
    static func indexTerms(in text: String) -> [String] {
        words(in: text).filter { !isStopWord($0) }.map(stem)
    }

    /// A query's distinct index terms, at most 32.
    static func queryTerms(in query: String) -> [String] {
        var seen = Set<String>()
        return Array(indexTerms(in: query).filter { seen.insert($0).inserted }.prefix(32))
    }

    /// A light suffix stripper: enough to match plurals and common verb forms.
    static func stem(_ word: String) -> String {
        guard word.count > 4 else { return word }
        for suffix in ["ingly", "edly", "ing", "ies", "ed", "es", "ly", "s"] where word.hasSuffix(suffix) {
            let stem = String(word.dropLast(suffix.count))
            if stem.count >= 3 { return suffix == "ies" ? stem + "y" : stem }
        }
        return word
    }

    static func isStopWord(_ word: String) -> Bool { stopWords.contains(word) }

    /// FNV-1a over the UTF-8 bytes, so a feature lands in the same place on every run.
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    static let stopWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "do", "does", "for", "from", "how", "i", "if", "in",
        "into", "is", "it", "its", "me", "my", "of", "on", "or", "so", "that", "the", "their", "them", "there", "these",
        "they", "this", "to", "was", "we", "what", "when", "where", "which", "who", "why", "will", "with", "you", "your",
        "can", "should", "would", "could", "about", "than", "then", "has", "have", "had", "not", "no", "our", "us",
    ]
}
