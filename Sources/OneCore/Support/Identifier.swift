import Synchronization

/// The kinds of record that carry an ID, each with the short prefix that tells it on sight.
public enum IDKind: String, Sendable, CaseIterable {
    case group = "grp"
    /// A person as one group knows them; the same human has another ID in each group.
    case person = "usr"
    case membership = "mem"
    /// The identity (an email) behind a person's memberships; never shown to tenants.
    case identity = "idn"
    case thing = "thg"
    case connection = "con"
    case event = "evt"
    case knowledge = "knw"
    case apiKey = "key"
    case session = "ses"
    case mail = "msg"

    /// Whether `id` is a well-formed ID of this kind: prefix, underscore, 26 Crockford base-32 digits.
    public func matches(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard utf8.count == rawValue.utf8.count + 1 + IDGenerator.bodyLength, id.hasPrefix(rawValue + "_") else {
            return false
        }
        return utf8.dropFirst(rawValue.utf8.count + 1).allSatisfy { IDGenerator.isDigit($0) }
    }

    /// `id` unchanged when it is well-formed for this kind; a 400 naming `field` otherwise.
    public func validate(_ id: String, field: String) throws(OneError) -> String {
        guard matches(id) else {
            throw OneError(.invalidID, "\(field) must be an ID of the form \(rawValue)_…", field: field)
        }
        return id
    }

    /// The kind of a well-formed ID, whatever its prefix.
    public static func of(_ id: String) -> IDKind? {
        guard let underscore = id.firstIndex(of: "_"), let kind = IDKind(rawValue: String(id[..<underscore])),
            kind.matches(id)
        else { return nil }
        return kind
    }
}

/// Makes opaque, time-ordered IDs: 48 bits of milliseconds then 80 random bits (as ULID), in
/// lowercase Crockford base 32. Within one process IDs are strictly increasing, so they sort in
/// creation order and serve as stable keyset-pagination cursors.
public final class IDGenerator: Sendable {
    static let bodyLength = 26
    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    private struct State {
        var lastMillis: UInt64 = 0
        var high: UInt16 = 0  // top 16 of the 80 random bits
        var low: UInt64 = 0  // bottom 64
    }

    private let state = Mutex(State())
    private let clock: Clock

    public init(clock: Clock = .system) { self.clock = clock }

    public func make(_ kind: IDKind) -> String {
        let (millis, high, low) = state.withLock { state -> (UInt64, UInt16, UInt64) in
            let now = UInt64(max(0, clock.now()))
            if now > state.lastMillis {
                state.lastMillis = now
                state.high = UInt16.random(in: 0...UInt16.max) & 0x7FFF  // leave room to increment
                state.low = UInt64.random(in: 0...UInt64.max)
            } else {
                let (sum, overflow) = state.low.addingReportingOverflow(1)
                state.low = sum
                if overflow { state.high &+= 1 }
            }
            return (state.lastMillis, state.high, state.low)
        }
        var digits = [UInt8](repeating: 0, count: Self.bodyLength)
        // 128 bits: millis (48) | high (16) | low (64), written 5 bits at a time from the right.
        var value = (hi: (millis << 16) | UInt64(high), lo: low)
        for index in stride(from: Self.bodyLength - 1, through: 0, by: -1) {
            digits[index] = Self.alphabet[Int(value.lo & 0x1F)]
            value.lo = (value.lo >> 5) | ((value.hi & 0x1F) << 59)
            value.hi >>= 5
        }
        return kind.rawValue + "_" + String(decoding: digits, as: UTF8.self)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        alphabet.contains(byte)
    }
}
