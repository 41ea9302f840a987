import Foundation

/// BERT's "basic tokenizer" for uncased models: text normalisation and
/// splitting into words, before WordPiece.
///
/// Matches Hugging Face `tokenizers`' `BertNormalizer` (clean text, handle
/// Chinese characters, strip accents, lowercase) followed by `BertPreTokenizer`:
///
/// 1. drop U+0000, U+FFFD and control, format and private-use characters;
///    tab, CR and LF count as whitespace;
/// 2. make each CJK ideograph a word of its own;
/// 3. decompose (NFD) and drop non-spacing marks, which strips accents;
/// 4. lowercase each scalar (context-free, like Rust's `char::to_lowercase`);
/// 5. split on whitespace, and make every punctuation character (ASCII
///    punctuation or a Unicode `P*` category) a word of its own.
///
/// Everything works on Unicode scalars, never on `Character`s: grapheme
/// clustering would glue combining marks and emoji modifiers to their base,
/// which the reference tokenizer does not do. Character classes come from
/// `BertUnicodeTables` (the reference's Unicode 8.0 view), not from Swift's
/// newer Unicode properties, so rare characters tokenize identically too.
enum BasicTokenizer {
    /// Calls `body` with each word of `text`, in order, until `body` returns false.
    static func forEachWord(in text: String, _ body: ([Unicode.Scalar]) -> Bool) {
        var splitter = WordSplitter()
        var chunk: [Unicode.Scalar] = []
        for scalar in text.unicodeScalars where !isRemoved(scalar) {
            if isWhitespace(scalar) {
                guard splitter.emitWords(of: &chunk, body) else { return }
            } else if isCJKIdeograph(scalar) {
                guard splitter.emitWords(of: &chunk, body) else { return }
                chunk.append(scalar)
                guard splitter.emitWords(of: &chunk, body) else { return }
            } else {
                chunk.append(scalar)
            }
        }
        _ = splitter.emitWords(of: &chunk, body)
    }

    /// Characters text cleaning deletes: NUL, U+FFFD and control, format and
    /// private-use characters, except tab, CR and LF. Unassigned code points
    /// are kept, as in the reference.
    static func isRemoved(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: false
        case 0..<0x20, 0x7F: true
        case 0..<0x80: false
        default: BertUnicodeTables.removed.contains(scalar)
        }
    }

    /// Unicode White_Space, plus tab, CR and LF.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0x09, 0x0A, 0x0D: true
        case 0..<0x80: false
        default: BertUnicodeTables.whitespace.contains(scalar)
        }
    }

    /// ASCII punctuation (which includes symbols such as `$`, `+`, `^`) or a Unicode `P*` category.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: true
        case 0..<0x80: false
        default: BertUnicodeTables.punctuation.contains(scalar)
        }
    }

    /// The CJK Unified Ideographs blocks BERT isolates (not Hangul, Hiragana or Katakana).
    /// The range starting at U+2B920 (not U+2B820) reproduces the reference exactly.
    static func isCJKIdeograph(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            true
        default:
            false
        }
    }
}

/// Reusable buffers for turning whitespace-delimited chunks into words.
private struct WordSplitter {
    private var normalized: [Unicode.Scalar] = []
    private var word: [Unicode.Scalar] = []

    /// Normalises `chunk`, passes its words to `body` and empties `chunk`.
    /// Returns false as soon as `body` does.
    mutating func emitWords(of chunk: inout [Unicode.Scalar], _ body: ([Unicode.Scalar]) -> Bool) -> Bool {
        defer { chunk.removeAll(keepingCapacity: true) }
        guard !chunk.isEmpty else { return true }
        normalize(chunk)
        word.removeAll(keepingCapacity: true)
        for scalar in normalized {
            guard BasicTokenizer.isPunctuation(scalar) else {
                word.append(scalar)
                continue
            }
            if !word.isEmpty {
                guard body(word) else { return false }
                word.removeAll(keepingCapacity: true)
            }
            word.append(scalar)
            guard body(word) else { return false }
            word.removeAll(keepingCapacity: true)
        }
        return word.isEmpty || body(word)
    }

    /// Strips accents (NFD, then drop non-spacing marks) and lowercases `chunk` into `normalized`.
    private mutating func normalize(_ chunk: [Unicode.Scalar]) {
        normalized.removeAll(keepingCapacity: true)
        if chunk.allSatisfy(\.isASCII) {
            for scalar in chunk {
                let value = scalar.value
                normalized.append((0x41...0x5A).contains(value) ? Unicode.Scalar(UInt8(value + 0x20)) : scalar)
            }
            return
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: chunk)
        for scalar in String(view).decomposedStringWithCanonicalMapping.unicodeScalars {
            if BertUnicodeTables.nonspacingMarks.contains(scalar) { continue }
            let properties = scalar.properties
            if properties.changesWhenLowercased {
                normalized.append(contentsOf: properties.lowercaseMapping.unicodeScalars)
            } else {
                normalized.append(scalar)
            }
        }
    }
}
