import Foundation
import Testing
@testable import OneEmbedding

/// Token ids against Hugging Face `tokenizers`. Needs only vocab.txt.
@Suite(
    "WordPiece tokenizer against the reference",
    .enabled(if: TestModel.hasVocabulary, "set ONE_TEST_MODELS_DIR to a folder holding vocab.txt")
)
struct ReferenceTokenizerTests {
    @Test("ids match Hugging Face tokenizers", arguments: GoldenFixture.allCases)
    func idsMatch(_ golden: GoldenFixture.Case) throws {
        let tokenizer = try TestModel.tokenizer()
        #expect(tokenizer.encode(golden.text, maxLength: MiniLM.maxTokens) == golden.ids)
        #expect(tokenizer.tokenIDs(golden.text).count == golden.tokenCount)
    }
}

/// Tokenizer behaviour on a tiny hand-made vocabulary; needs no model files.
struct TokenizerUnitTests {
    static let tokens = [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "hello", ",", "world", "!",
        "cafe", "\u{E9}", "naive", "##s", "a", "\u{4E2D}", "\u{6587}", "$", "5",
    ]

    func tokenizer() throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabulary: Vocabulary(tokens: Self.tokens.map { Array($0.utf8) }), source: "test")
    }

    func words(_ text: String) -> [String] {
        var words: [String] = []
        BasicTokenizer.forEachWord(in: text) { word in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: word)
            words.append(String(view))
            return true
        }
        return words
    }

    @Test func basicTokenizerSplitsLowercasesAndStripsAccents() {
        #expect(words("Hello, World!") == ["hello", ",", "world", "!"])
        #expect(words("  Café\tNAÏVE\n") == ["cafe", "naive"])
        #expect(words("e\u{301}le\u{300}ve") == ["eleve"])
        #expect(words("中文abc") == ["中", "文", "abc"])
        #expect(words("a\u{0}b\u{200B}c\u{7}d") == ["abcd"])
        #expect(words("$5+x") == ["$", "5", "+", "x"])
        #expect(words("").isEmpty)
    }

    @Test func vocabularyComparesBytesNotCanonicalEquivalence() throws {
        let vocabulary = try tokenizer().vocabulary
        #expect(vocabulary.id(of: "\u{E9}") == 12)
        #expect(vocabulary.id(of: "e\u{301}") == nil)
        #expect(vocabulary.id(of: "hello") == 7)
        #expect(vocabulary.id(of: "hell") == nil)
    }

    @Test func wordPieceIsGreedyLongestMatchFirst() throws {
        let tokenizer = try tokenizer()
        #expect(tokenizer.tokenIDs("unaffable") == [4, 5, 6])
        #expect(tokenizer.tokenIDs("Hello, world! xyz") == [7, 8, 9, 10, 1])
        #expect(tokenizer.tokenIDs("unaffablex") == [1])
        #expect(tokenizer.tokenIDs("naives café") == [13, 14, 11])
        #expect(tokenizer.tokenIDs("中文") == [16, 17])
        #expect(tokenizer.tokenIDs(String(repeating: "a", count: 101)) == [1])
    }

    @Test func encodeAddsSpecialTokensAndTruncates() throws {
        let tokenizer = try tokenizer()
        #expect(tokenizer.encode("", maxLength: 256) == [2, 3])
        #expect(tokenizer.encode("hello world hello world", maxLength: 4) == [2, 7, 9, 3])
        #expect(tokenizer.tokenIDs("hello world hello", limit: 2) == [7, 9])
    }

    @Test func missingSpecialTokenIsReported() {
        #expect(throws: MiniLMError.malformedVocabulary(path: "test", reason: "it has no [CLS] token")) {
            try WordPieceTokenizer(vocabulary: Vocabulary(tokens: [Array("[UNK]".utf8)]), source: "test")
        }
    }
}
