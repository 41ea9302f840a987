/// A tag a listed thing must carry: `key`, or `key:value`.
public struct TagFilter: Sendable, Equatable {
    public var key: String
    /// The value the tag must have; any value when `nil`.
    public var value: String?

    public init(key: String, value: String? = nil) {
        self.key = key
        self.value = value
    }

    /// Splits `key` or `key:value` (the value may itself hold colons); the domain checks both.
    public init(parsing text: String) {
        if let colon = text.firstIndex(of: ":") {
            self.init(key: String(text[..<colon]), value: String(text[text.index(after: colon)...]))
        } else {
            self.init(key: text)
        }
    }
}

/// The rules of tags: short keys, bounded values, a bounded number per thing.
public enum Tags {
    public static let maxKeyLength = 64
    public static let maxValueLength = 256
    public static let maxPerThing = 50

    /// Keys are 1–64 characters of letters, digits, `_`, `-` and `.`, so `key:value` filters
    /// and URL paths read them unambiguously.
    static func checkKey(_ key: String, field: String) throws(OneError) {
        let allowed = key.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F || byte == 0x2D || byte == 0x2E
        }
        guard !key.isEmpty, key.utf8.count <= maxKeyLength, allowed else {
            throw OneError.validation(
                field, "\(field) key must be 1 to \(maxKeyLength) letters, digits, '_', '-' or '.'")
        }
    }

    static func checkValue(_ value: String, field: String) throws(OneError) {
        guard value.count <= maxValueLength else {
            throw OneError.validation(field, "\(field) value must be at most \(maxValueLength) characters")
        }
    }
}

extension OneService {
    /// Sets one tag of a thing, with a `thing_tagged` event; setting the value it already has
    /// writes nothing.
    public func setTag(thingId: String, key: String, value: String?, in scope: Scope) async throws -> Thing {
        try AccessPolicy.require(scope.principal, .update, .things)
        _ = try IDKind.thing.validate(thingId, field: "id")
        try Tags.checkKey(key, field: "key")
        guard let value else { throw OneError.validation("value", "value is required: send {\"value\": \"…\"}") }
        try Tags.checkValue(value, field: "value")
        let now = clock.now()
        return try await updatingThing(thingId, in: scope) { current in
            guard current.deletedAt == nil else { throw OneError.conflict("this thing is archived and cannot be changed") }
            guard current.tags[key] != value else { return nil }
            guard current.tags[key] != nil || current.tags.count < Tags.maxPerThing else {
                throw OneError(.quotaExceeded, "a thing carries at most \(Tags.maxPerThing) tags", field: "key")
            }
            var tagged = current
            tagged.tags[key] = value
            tagged.updatedAt = now
            let change = Change.between(current, tagged)
            return (tagged, self.draft(scope, "thing_tagged", target: thingId, change: change, metadata: ["key": .string(key)]))
        }
    }

    /// Removes one tag of a thing, with a `thing_untagged` event; 404 when it has no such tag.
    public func removeTag(thingId: String, key: String, in scope: Scope) async throws -> Thing {
        try AccessPolicy.require(scope.principal, .update, .things)
        _ = try IDKind.thing.validate(thingId, field: "id")
        try Tags.checkKey(key, field: "key")
        let now = clock.now()
        return try await updatingThing(thingId, in: scope) { current in
            guard current.deletedAt == nil else { throw OneError.conflict("this thing is archived and cannot be changed") }
            guard current.tags[key] != nil else { throw OneError(.notFound, "the thing has no tag '\(key)'", field: "key") }
            var untagged = current
            untagged.tags[key] = nil
            untagged.updatedAt = now
            let change = Change.between(current, untagged)
            return (untagged, self.draft(scope, "thing_untagged", target: thingId, change: change, metadata: ["key": .string(key)]))
        }
    }
}
