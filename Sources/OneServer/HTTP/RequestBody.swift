import Foundation
import Hummingbird
import OneCore

/// A JSON request body that names its fields, so unknown ones are refused instead of ignored
/// (a misspelt field silently dropped is a bug the client never sees).
protocol RequestBody: Decodable {
    static var fields: Set<String> { get }
}

extension Request {
    /// Decodes a JSON object body of type `T`: 413 past the size limit, 400 for malformed JSON,
    /// a non-object, an unknown field, or a field of the wrong type (naming the field).
    mutating func decodeBody<T: RequestBody>(_ type: T.Type, context: AppRequestContext) async throws -> T {
        try await decodeBody(type, fields: T.fields, context: context)
    }

    /// ``decodeBody(_:context:)`` with the allowed fields given by the route.
    mutating func decodeBody<T: Decodable>(_ type: T.Type, fields: Set<String>, context: AppRequestContext) async throws -> T {
        let (value, data) = try await decodeObject(fields: fields, context: context)
        do {
            let decoder = JSONDecoder()
            decoder.userInfo[.parsedJSON] = value
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw Self.describe(error)
        }
    }

    /// The body as a parsed JSON object with only `fields` in it, and its bytes: for routes
    /// that read members themselves rather than through `Decodable`.
    mutating func decodeObject(fields: Set<String>, context: AppRequestContext) async throws -> (JSONValue, Data) {
        let buffer = try await collectBody(upTo: context.maxUploadSize)
        let data = Data(buffer.readableBytesView)
        guard !data.isEmpty else { throw OneError(.invalidJSON, "request body is required: send a JSON object") }
        let value = try data.withUnsafeBytes { raw throws(OneError) in try JSONValue(utf8: raw.bindMemory(to: UInt8.self)) }
        guard let object = value.objectValue else {
            throw OneError(.invalidJSON, "request body must be a JSON object, not \(value.typeName)")
        }
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
            let allowed = fields.sorted().joined(separator: ", ")
            throw OneError.validation(unknown, "unknown field '\(unknown)'; allowed fields: \(allowed)")
        }
        return (value, data)
    }

    private static func describe(_ error: DecodingError) -> OneError {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return .validation(field, "\(field) must be \(describe(type))")
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return .validation(field, "\(field) must be \(describe(type)), not null")
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .validation(field, "\(field) is required")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            let reason = context.debugDescription.hasPrefix("unknown member") ? context.debugDescription : "an invalid value"
            return .validation(field, "\(field) has \(reason)")
        @unknown default:
            return OneError(.invalidJSON, "request body could not be read")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        case is [String].Type: "an array of strings"
        default: "of a different type"
        }
    }
}

extension NewThing: RequestBody { static let fields: Set<String> = ["type", "name", "properties", "status"] }
extension ThingPatch: RequestBody { static let fields: Set<String> = ["type", "name", "properties", "status"] }
extension NewGroup: RequestBody {
    static let fields: Set<String> = ["name", "slug", "type", "parentGroupId", "description", "metadata", "settings"]
}
extension GroupPatch: RequestBody {
    static let fields: Set<String> = [
        "name", "slug", "type", "parentGroupId", "description", "metadata", "settings", "status",
    ]
}
extension NewPerson: RequestBody {
    static let fields: Set<String> = ["email", "name", "username", "bio", "avatar", "role", "permissions"]
}
extension PersonPatch: RequestBody {
    static let fields: Set<String> = ["name", "username", "bio", "avatar", "role", "permissions"]
}
extension NewConnection: RequestBody {
    static let fields: Set<String> = ["fromId", "toId", "type", "metadata", "strength", "validFrom", "validTo"]
}
extension TagValue: RequestBody { static let fields: Set<String> = ["value"] }
extension NewEvent: RequestBody { static let fields: Set<String> = ["type", "targetId", "metadata"] }
extension NewKnowledge: RequestBody {
    static let fields: Set<String> = ["type", "text", "labels", "metadata", "sourceThingId", "sourceField"]
}
extension KnowledgeSearch: RequestBody { static let fields: Set<String> = ["query", "limit", "mode", "filters"] }
extension EmbedRequest: RequestBody { static let fields: Set<String> = ["texts"] }
extension ReembedRequest: RequestBody { static let fields: Set<String> = ["limit"] }
extension GenerateRequest: RequestBody { static let fields: Set<String> = ["prompt", "context", "limit", "system", "maxTokens"] }
extension ChatRequest: RequestBody { static let fields: Set<String> = ["conversationId", "message", "context", "limit"] }
extension ExtractRequest: RequestBody { static let fields: Set<String> = ["text", "types", "sourceThingId"] }
extension NewAPIKey: RequestBody {
    static let fields: Set<String> = ["name", "role", "permissions", "personId", "expiresAt", "rateLimit"]
}

extension NewThing {
    /// A thing's input read from an already parsed body, with the errors `decodeBody` gives.
    init(json body: JSONValue) throws {
        guard let members = body.objectValue else {
            throw OneError(.invalidJSON, "request body must be a JSON object, not \(body.typeName)")
        }
        if let unknown = members.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            let allowed = Self.fields.sorted().joined(separator: ", ")
            throw OneError.validation(unknown, "unknown field '\(unknown)'; allowed fields: \(allowed)")
        }
        var strings: [String: String] = [:]
        for field in ["type", "name", "status"] {
            guard let value = members[field] else { continue }
            guard let string = value.stringValue else {
                throw OneError.validation(field, value == .null ? "\(field) must be a string, not null" : "\(field) must be a string")
            }
            strings[field] = string
        }
        self.init(type: strings["type"], name: strings["name"], properties: members["properties"].flatMap { $0 == .null ? nil : $0 }, status: strings["status"])
    }
}
