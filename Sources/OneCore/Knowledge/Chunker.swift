/// Splits a document into overlapping chunks on paragraph and sentence boundaries, so each
/// chunk reads as whole sentences and a passage that straddles a boundary is still found.
///
/// Sizes are in tokens, estimated as the seeds do (0.75 words a token): about 800 tokens a
/// chunk with 200 shared with the one before. A sentence longer than a chunk is cut by words.
public struct Chunker: Sendable, Equatable {
    public var maxTokens: Int
    public var overlapTokens: Int

    public init(maxTokens: Int = 800, overlapTokens: Int = 200) {
        precondition(maxTokens > 0 && overlapTokens >= 0 && overlapTokens < maxTokens)
        self.maxTokens = maxTokens
        self.overlapTokens = overlapTokens
    }

    /// The estimated token count of a text.
    public static func estimatedTokens(_ text: String) -> Int {
        let words = text.split(whereSeparator: \.isWhitespace).count
        return (words * 4 + 2) / 3
    }

    public func chunks(of text: String) -> [String] {
        // A "sentence" of punctuation alone has nothing to find.
        let sentences = Self.sentences(of: text).filter { $0.contains { $0.isLetter || $0.isNumber } }
            .flatMap(split(longSentence:))
        var chunks: [String] = []
        var current: [(text: String, tokens: Int)] = []
        var tokens = 0
        for sentence in sentences {
            let cost = Self.estimatedTokens(sentence)
            if tokens + cost > maxTokens, !current.isEmpty {
                chunks.append(current.map(\.text).joined(separator: " "))
                // Carry the last sentences, up to the overlap, into the next chunk.
                var carried: [(text: String, tokens: Int)] = []
                var carriedTokens = 0
                for previous in current.reversed() {
                    guard carriedTokens + previous.tokens <= overlapTokens, carriedTokens + previous.tokens + cost <= maxTokens
                    else { break }
                    carried.insert(previous, at: 0)
                    carriedTokens += previous.tokens
                }
                current = carried
                tokens = carriedTokens
            }
            current.append((sentence, cost))
            tokens += cost
        }
        if !current.isEmpty { chunks.append(current.map(\.text).joined(separator: " ")) }
        return chunks
    }

    /// Paragraphs (blank lines) split into sentences (., ! or ? before a space), whitespace
    /// collapsed, empty ones dropped.
    static func sentences(of text: String) -> [String] {
        var sentences: [String] = []
        for paragraph in text.split(separator: "\n\n", omittingEmptySubsequences: true) {
            let words = paragraph.split(whereSeparator: \.isWhitespace)
            var sentence: [Substring] = []
            for word in words {
                sentence.append(word)
                if let last = word.last, ".!?".contains(last) {
                    sentences.append(sentence.joined(separator: " "))
                    sentence = []
                }
            }
            if !sentence.isEmpty { sentences.append(sentence.joined(separator: " ")) }
        }
        return sentences
    }

    private func split(longSentence sentence: String) -> [String] {
        guard Self.estimatedTokens(sentence) > maxTokens else { return [sentence] }
        let words = sentence.split(whereSeparator: \.isWhitespace)
        let wordsPerPiece = max(1, maxTokens * 3 / 4)
        return stride(from: 0, to: words.count, by: wordsPerPiece).map {
            words[$0..<min($0 + wordsPerPiece, words.count)].joined(separator: " ")
        }
    }
}
