import Hummingbird
import OneCore

/// A list response: `{"results": [...], "count": n, "hasMore": bool, "cursor": "…"}`.
struct ListResponse<Item: JSONRepresentable>: JSONRepresentable {
    let results: [Item]
    let count: Int
    let hasMore: Bool
    let cursor: String?

    init(_ page: Page<Item>) {
        self.results = page.items
        self.count = page.items.count
        self.hasMore = page.hasMore
        self.cursor = page.nextAfter.map(ListQuery.encodeCursor)
    }

    init(all items: [Item]) {
        self.results = items
        self.count = items.count
        self.hasMore = false
        self.cursor = nil
    }

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "results": .array(results.map(\.json)), "count": .integer(Int64(count)), "hasMore": .bool(hasMore),
        ]
        object["cursor"] = cursor.map(JSONValue.string)
        return .object(object)
    }
}

/// The answer to a delete that leaves nothing to show.
struct Deleted: JSONRepresentable {
    let id: String

    init(_ id: String) { self.id = id }

    var json: JSONValue { ["_id": .string(id), "deleted": true] }
}

/// A record as a JSON response with a chosen status (201 for creates).
struct JSON<Value: JSONRepresentable>: ResponseGenerator {
    let status: HTTPResponse.Status
    let value: Value

    init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    func response() -> Response {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        value.json.write(into: &bytes)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
