import Foundation
import Hummingbird
import OneCore

/// A list response: `{"results": [...], "count": n, "hasMore": bool, "cursor": "…"}`.
struct ListResponse<Item: Encodable & Sendable>: Encodable, Sendable {
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
}

/// The answer to a delete that leaves nothing to show.
struct Deleted: Encodable, Sendable {
    let _id: String
    let deleted = true

    init(_ id: String) { self._id = id }
}

/// Any encodable value as a JSON response with a chosen status (201 for creates).
struct JSON<Value: Encodable & Sendable>: ResponseGenerator {
    let status: HTTPResponse.Status
    let value: Value

    init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
