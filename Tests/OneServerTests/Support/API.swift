import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OneCore
import Testing

/// A small client for the API over the live test connection: JSON in, JSON out.
struct API: Sendable {
    let client: any TestClientProtocol

    func request(
        _ method: HTTPRequest.Method, _ path: String, key: String?, group: String? = nil, body: JSONValue? = nil,
        rawBody: String? = nil, headers extra: HTTPFields = [:], undocumented: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Reply {
        var headers = extra
        if let key { headers[HTTPField.Name("X-API-Key")!] = key }
        if let group { headers[HTTPField.Name("X-Group-Id")!] = group }
        var buffer: ByteBuffer?
        if let body { buffer = ByteBuffer(string: body.jsonText()) }
        if let rawBody { buffer = ByteBuffer(string: rawBody) }
        if buffer != nil { headers[.contentType] = "application/json" }
        let response = try await client.executeRequest(uri: path, method: method, headers: headers, body: buffer)
        let text = String(buffer: response.body)
        let json = text.isEmpty ? JSONValue.null : ((try? JSONValue(storedText: text)) ?? .string(text))
        // Every response, errors included, must be one the OpenAPI document describes; a
        // deliberate probe of a route the API lacks (`undocumented`) must get the error shape.
        OpenAPIContract.record(
            method: method.rawValue, path: path, status: Int(response.status.code), contentType: response.headers[.contentType],
            body: text, undocumented: undocumented, sourceLocation: sourceLocation)
        return Reply(status: response.status, headers: response.headers, json: json, text: text)
    }

    func get(_ path: String, key: String?, group: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Reply {
        try await request(.get, path, key: key, group: group, sourceLocation: sourceLocation)
    }

    func post(
        _ path: String, key: String?, group: String? = nil, body: JSONValue, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Reply {
        try await request(.post, path, key: key, group: group, body: body, sourceLocation: sourceLocation)
    }

    func patch(
        _ path: String, key: String?, group: String? = nil, body: JSONValue, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Reply {
        try await request(.patch, path, key: key, group: group, body: body, sourceLocation: sourceLocation)
    }

    func delete(_ path: String, key: String?, group: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Reply {
        try await request(.delete, path, key: key, group: group, sourceLocation: sourceLocation)
    }
}

/// A response: status, headers, the body parsed as JSON and the body's raw text.
struct Reply: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let json: JSONValue
    /// The body exactly as sent, for what parsing loses (number precision, member order).
    let text: String

    subscript(_ key: String) -> JSONValue? { json.objectValue?[key] }

    /// The error code of an error response.
    var code: String? { self["code"]?.stringValue }

    /// The records of a list response.
    var results: [JSONValue] {
        if case .array(let items)? = self["results"] { return items }
        return []
    }

    /// The `_id`s of a list response's records.
    var ids: [String] { results.compactMap { $0.objectValue?["_id"]?.stringValue } }

    /// Checks the status and returns the body, so calls read `try await api.get(…).expect(.ok)`.
    @discardableResult
    func expect(_ status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        #expect(self.status == status, "body: \(json.jsonText())", sourceLocation: sourceLocation)
        try #require(self.status == status, sourceLocation: sourceLocation)
        return json
    }

    /// The body of a 200 response; throws (recording the mismatch) on any other status.
    var okJSON: JSONValue {
        get throws { try expect(.ok) }
    }

    /// Checks an error response: its status, code and (when given) the field it names.
    func expectError(_ status: HTTPResponse.Status, _ code: String, field: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(self.status == status, "body: \(json.jsonText())", sourceLocation: sourceLocation)
        #expect(self.code == code, "body: \(json.jsonText())", sourceLocation: sourceLocation)
        #expect(self["error"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        if let field { #expect(self["field"]?.stringValue == field, "body: \(json.jsonText())", sourceLocation: sourceLocation) }
    }
}

extension JSONValue {
    subscript(_ key: String) -> JSONValue? { objectValue?[key] }
}
