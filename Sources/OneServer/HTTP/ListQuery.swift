import Foundation
import Hummingbird
import OneCore

/// The paging parameters of a list request: `limit` (1…100, default 20) and an opaque `cursor`.
struct ListQuery {
    static let defaultLimit = 20
    static let maxLimit = 100
    private static let cursorVersion = "c1."

    let parameters: [String: String]
    let page: PageRequest

    /// Reads `limit` and `cursor`; a cursor must decode to a key of the expected form.
    init(_ request: Request, cursorIsValid: (String) -> Bool) throws {
        var parameters: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { parameters[String(name)] = String(value) }
        self.parameters = parameters
        var limit = Self.defaultLimit
        if let text = parameters["limit"] {
            guard let value = Int(text), (1...Self.maxLimit).contains(value) else {
                throw OneError.validation("limit", "limit must be an integer from 1 to \(Self.maxLimit)")
            }
            limit = value
        }
        var after: String?
        if let cursor = parameters["cursor"] {
            guard let key = Self.decodeCursor(cursor), cursorIsValid(key) else {
                throw OneError(.invalidCursor, "cursor is not one this list gave out", field: "cursor")
            }
            after = key
        }
        self.page = PageRequest(limit: limit, after: after)
    }

    /// A list keyed by event sequence numbers.
    init(_ request: Request, keyedBySequence: Void) throws {
        try self.init(request, cursorIsValid: { Int64($0) != nil })
    }

    /// A list keyed by IDs of `kind`.
    init(_ request: Request, keyedBy kind: IDKind) throws {
        try self.init(request, cursorIsValid: kind.matches)
    }

    /// A text filter, trimmed; absent when empty.
    func text(_ name: String, maxLength: Int = 200) throws -> String? {
        guard let value = parameters[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        guard value.count <= maxLength else {
            throw OneError.validation(name, "\(name) must be at most \(maxLength) characters")
        }
        return value
    }

    /// A `true`/`false` flag, false when absent.
    func flag(_ name: String) throws -> Bool {
        switch parameters[name] {
        case nil, "false": return false
        case "true": return true
        default: throw OneError.validation(name, "\(name) must be true or false")
        }
    }

    /// A millisecond timestamp filter.
    func timestamp(_ name: String) throws -> Timestamp? {
        guard let value = try text(name) else { return nil }
        guard let time = Timestamp(value), time >= 0 else {
            throw OneError.validation(name, "\(name) must be a time in milliseconds since the epoch")
        }
        return time
    }

    static func encodeCursor(_ key: String) -> String {
        Data((cursorVersion + key).utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeCursor(_ cursor: String) -> String? {
        guard cursor.count <= 200 else { return nil }
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
            text.hasPrefix(cursorVersion)
        else { return nil }
        return String(text.dropFirst(cursorVersion.count))
    }
}
