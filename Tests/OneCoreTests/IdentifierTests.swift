import Synchronization
import Testing

@testable import OneCore

/// A clock the test moves by hand.
private final class ManualClock: Sendable {
    private let millis: Mutex<Timestamp>

    init(_ start: Timestamp) { millis = Mutex(start) }

    func set(_ value: Timestamp) { millis.withLock { $0 = value } }

    var clock: OneCore.Clock { OneCore.Clock { self.millis.withLock { $0 } } }
}

/// The lowercase Crockford base-32 alphabet, written out independently of the source.
private let crockford = Array("0123456789abcdefghjkmnpqrstvwxyz")

/// Decodes base-32 digits into an integer (for the 10-digit timestamp part of an ID body).
private func decodeBase32(_ digits: Substring) -> UInt64? {
    var value: UInt64 = 0
    for character in digits {
        guard let digit = crockford.firstIndex(of: character) else { return nil }
        value = value << 5 | UInt64(digit)
    }
    return value
}

private let goodBody = "01hx5z3k7m9pqrstvwxyz0abcd"  // 26 valid digits

/// Strings that are not well-formed thing IDs, with why.
private let malformedThingIDs: [(id: String, reason: String)] = [
    ("grp_" + goodBody, "another kind's prefix"),
    ("thg" + goodBody, "missing underscore"),
    ("thg-" + goodBody, "hyphen instead of underscore"),
    ("thg__" + String(goodBody.dropFirst()), "double underscore"),
    ("thg_" + String(goodBody.dropLast()), "25-digit body"),
    ("thg_" + goodBody + "0", "27-digit body"),
    ("thg_", "empty body"),
    ("", "empty string"),
    ("THG_" + goodBody, "uppercase prefix"),
    ("thg_" + goodBody.uppercased(), "uppercase body"),
    ("thg_0123456789abcdefghjkmnpqrA", "one uppercase digit"),
    ("thg_i123456789abcdefghjkmnpqrs", "letter i"),
    ("thg_l123456789abcdefghjkmnpqrs", "letter l"),
    ("thg_o123456789abcdefghjkmnpqrs", "letter o"),
    ("thg_u123456789abcdefghjkmnpqrs", "letter u"),
    ("thg_0123456789abcdefghjkmnpq-s", "punctuation"),
    ("thg_0123456789abcdefghjkmnpq s", "space"),
    ("thg_0123456789abcdefghjkmnpq\u{E9}", "non-ASCII letter making 26 UTF-8 bytes"),
    (" thg_" + goodBody, "leading space"),
]

/// Strings that are not IDs of any kind.
private let unknownIDs: [String] = [
    "abc_" + goodBody, "thing_" + goodBody, goodBody, "thg_" + goodBody + "1", "thg_" + goodBody.uppercased(),
    "_" + goodBody, "",
]

@Suite("IDGenerator and IDKind")
struct IdentifierTests {
    @Test("each kind's ID has its prefix, an underscore and a 26-digit body", arguments: IDKind.allCases)
    func shape(kind: IDKind) throws {
        let id = IDGenerator().make(kind)
        #expect(id.hasPrefix(kind.rawValue + "_"))
        let body = id.dropFirst(kind.rawValue.count + 1)
        #expect(body.count == 26)
        #expect(body.allSatisfy { crockford.contains($0) })
        #expect(kind.matches(id))
        #expect(IDKind.of(id) == kind)
    }

    @Test("prefixes are the documented three letters")
    func prefixes() {
        let expected: [IDKind: String] = [
            .group: "grp", .person: "usr", .membership: "mem", .thing: "thg",
            .connection: "con", .event: "evt", .knowledge: "knw", .apiKey: "key", .identity: "idn",
            .session: "ses", .mail: "msg",
        ]
        for kind in IDKind.allCases {
            #expect(kind.rawValue == expected[kind])
        }
        #expect(IDKind.allCases.count == expected.count)
    }

    @Test("the first 10 body digits encode the clock's milliseconds", arguments: [
        Timestamp(1), 1_700_000_000_123, 281_474_976_710_655,  // 2^48 - 1, the largest 48-bit time
    ])
    func timestampPrefix(millis: Timestamp) throws {
        let id = IDGenerator(clock: OneCore.Clock { millis }).make(.thing)
        let body = id.dropFirst(4)
        #expect(decodeBase32(body.prefix(10)) == UInt64(millis))
    }

    @Test("IDs are strictly increasing when the clock repeats the same millisecond")
    func monotonicWithinMillisecond() {
        let generator = IDGenerator(clock: OneCore.Clock { 1_700_000_000_000 })
        var previous = generator.make(.thing)
        for _ in 0..<5_000 {
            let next = generator.make(.thing)
            #expect(next > previous, "\(next) should sort after \(previous)")
            if next <= previous { return }
            previous = next
        }
    }

    @Test("IDs increase across milliseconds, including after a burst within one")
    func monotonicAcrossMilliseconds() {
        let manual = ManualClock(1_700_000_000_000)
        let generator = IDGenerator(clock: manual.clock)
        var ids: [String] = []
        for millis in Timestamp(1_700_000_000_000)..<1_700_000_000_050 {
            manual.set(millis)
            for _ in 0..<20 { ids.append(generator.make(.event)) }
        }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
        // Each millisecond's first ID starts a new timestamp prefix.
        #expect(decodeBase32(ids[0].dropFirst(4).prefix(10)) == 1_700_000_000_000)
        #expect(decodeBase32(ids[ids.count - 1].dropFirst(4).prefix(10)) == 1_700_000_000_049)
    }

    @Test("IDs keep increasing when the clock steps backwards")
    func monotonicWhenClockGoesBack() {
        let manual = ManualClock(1_700_000_000_500)
        let generator = IDGenerator(clock: manual.clock)
        let first = generator.make(.thing)
        manual.set(1_700_000_000_100)
        let second = generator.make(.thing)
        manual.set(1_700_000_000_501)
        let third = generator.make(.thing)
        #expect(first < second)
        #expect(second < third)
    }

    @Test("IDs of different kinds from one generator share one increasing body sequence")
    func monotonicAcrossKinds() {
        let generator = IDGenerator(clock: OneCore.Clock { 42 })
        let bodies = [IDKind.group, .thing, .apiKey, .event, .connection].map { generator.make($0).dropFirst(4) }
        #expect(bodies == bodies.sorted())
        #expect(Set(bodies).count == bodies.count)
    }

    @Test("IDs made concurrently from one generator are all distinct")
    func concurrentDistinct() async {
        let generator = IDGenerator(clock: OneCore.Clock { 1_700_000_000_000 })
        let ids = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<500).map { _ in generator.make(.thing) } }
            }
            var all: [String] = []
            for await batch in group { all += batch }
            return all
        }
        #expect(ids.count == 4_000)
        #expect(Set(ids).count == 4_000)
    }

    @Test("matches accepts well-formed IDs of its own kind")
    func matchesGood() {
        #expect(IDKind.thing.matches("thg_" + goodBody))
        #expect(IDKind.group.matches("grp_" + goodBody))
        #expect(IDKind.apiKey.matches("key_00000000000000000000000000"))
        #expect(IDKind.apiKey.matches("key_7zzzzzzzzzzzzzzzzzzzzzzzzz"))
    }

    @Test("matches rejects malformed IDs", arguments: malformedThingIDs)
    func matchesBad(id: String, reason: String) {
        #expect(!IDKind.thing.matches(id), "\(reason): \(id)")
        #expect(IDKind.of(id) != .thing, "\(reason): \(id)")
    }

    @Test("of names the kind of any well-formed ID", arguments: IDKind.allCases)
    func ofKnownKinds(kind: IDKind) {
        #expect(IDKind.of(kind.rawValue + "_" + goodBody) == kind)
    }

    @Test("of is nil for unknown prefixes and malformed IDs", arguments: unknownIDs)
    func ofUnknown(id: String) {
        #expect(IDKind.of(id) == nil)
    }

    @Test("validate returns a good ID unchanged")
    func validateGood() throws {
        let id = "con_" + goodBody
        #expect(try IDKind.connection.validate(id, field: "fromThingId") == id)
    }

    @Test("validate throws INVALID_ID naming the field and the expected prefix")
    func validateBad() throws {
        let error = try #require(throws: OneError.self) {
            try IDKind.thing.validate("grp_" + goodBody, field: "targetId")
        }
        #expect(error.code == .invalidID)
        #expect(error.code.rawValue == "INVALID_ID")
        #expect(error.field == "targetId")
        #expect(error.message.contains("targetId"))
        #expect(error.message.contains("thg_"))
    }
}
