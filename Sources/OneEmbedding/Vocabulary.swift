import Foundation

/// A WordPiece vocabulary (`vocab.txt`: one token per line, id = line number),
/// keyed by the UTF-8 bytes of each token.
///
/// Lookups deliberately compare raw bytes, not `String`s: Swift `String`
/// equality is Unicode canonical equivalence, so `"é"` (U+00E9) and
/// `"e\u{301}"` compare equal, while BERT's vocabulary and the reference
/// tokenizer distinguish them byte for byte. The table is a flat open-addressing
/// hash over one contiguous byte buffer, so a lookup allocates nothing.
struct Vocabulary: Sendable {
    /// All tokens' bytes, concatenated in id order.
    private let bytes: [UInt8]
    /// `starts[id]..<starts[id + 1]` is token `id` within `bytes`.
    private let starts: [Int]
    /// Open-addressing slots holding a token id, or -1 when empty. Power-of-two sized.
    private let slots: [Int32]

    /// Number of ids (lines), including duplicates.
    var count: Int { starts.count - 1 }
    /// Length in bytes of the longest token: no longer byte string can match.
    let longestToken: Int

    /// Loads `vocab.txt`. Trailing `\r` is ignored so CRLF files work.
    init(contentsOf url: URL) throws(MiniLMError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        var tokens: [ArraySlice<UInt8>] = []
        let fileBytes = [UInt8](data)
        var lineStart = 0
        for index in fileBytes.indices where fileBytes[index] == UInt8(ascii: "\n") {
            tokens.append(Self.trimmingCarriageReturn(fileBytes[lineStart..<index]))
            lineStart = index + 1
        }
        if lineStart < fileBytes.count {
            tokens.append(Self.trimmingCarriageReturn(fileBytes[lineStart...]))
        }
        guard !tokens.isEmpty else {
            throw .malformedVocabulary(path: url.path, reason: "the file is empty")
        }
        guard tokens.count < Int(Int32.max) else {
            throw .malformedVocabulary(path: url.path, reason: "\(tokens.count) tokens is too many")
        }
        self.init(tokens: tokens)
    }

    /// Builds a vocabulary where token `i` has id `i`. A repeated token maps to its last id.
    init<Token: Collection<UInt8>>(tokens: [Token]) {
        var bytes: [UInt8] = []
        var starts: [Int] = [0]
        starts.reserveCapacity(tokens.count + 1)
        for token in tokens {
            bytes.append(contentsOf: token)
            starts.append(bytes.count)
        }
        var capacity = 16
        while capacity < tokens.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        bytes.withUnsafeBufferPointer { all in
            for id in tokens.indices {
                let token = UnsafeBufferPointer(rebasing: all[starts[id]..<starts[id + 1]])
                var slot = Self.hash(token) & mask
                while slots[slot] >= 0 {
                    let other = Int(slots[slot])
                    if token.elementsEqual(all[starts[other]..<starts[other + 1]]) { break }
                    slot = (slot + 1) & mask
                }
                slots[slot] = Int32(id)
            }
        }
        self.bytes = bytes
        self.starts = starts
        self.slots = slots
        longestToken = zip(starts, starts.dropFirst()).map { $1 - $0 }.max() ?? 0
    }

    /// The id of the token spelled by exactly these UTF-8 bytes.
    func id(of token: UnsafeBufferPointer<UInt8>) -> Int32? {
        let mask = slots.count - 1
        return bytes.withUnsafeBufferPointer { all in
            slots.withUnsafeBufferPointer { slots in
                var slot = Self.hash(token) & mask
                while true {
                    let id = slots[slot]
                    if id < 0 { return nil }
                    let candidate = UnsafeBufferPointer(rebasing: all[starts[Int(id)]..<starts[Int(id) + 1]])
                    if candidate.elementsEqual(token) { return id }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// The id of `token`, compared by its UTF-8 bytes.
    func id(of token: String) -> Int32? {
        var token = token
        return token.withUTF8 { id(of: $0) }
    }

    /// FNV-1a over the bytes.
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return Int(truncatingIfNeeded: hash ^ (hash >> 32))
    }

    private static func trimmingCarriageReturn(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        line.last == UInt8(ascii: "\r") ? line.dropLast() : line
    }
}
