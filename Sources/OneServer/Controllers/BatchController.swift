import HTTPTypes
import Hummingbird
import NIOCore
import OneCore

/// `POST /api/batch`: up to 100 requests to the ontology routes in one, each answered as it
/// would be alone; with `atomic: true` all of their writes commit together or none does.
///
/// Each operation goes through the same route handlers as a request of its own, with the
/// caller's principal and `X-Group-Id`, so access checks, validation and events are exactly
/// theirs. The batch is one request of the caller's rate limit.
struct BatchController {
    static let maxOperations = 100
    /// The first path segments under `/api/` an operation may address.
    static let dimensions: Set<String> = ["groups", "people", "things", "connections", "events", "knowledge", "graph"]

    let service: OneService
    /// The ontology routes alone, without the authentication the batch request already passed.
    let operations: RouterResponder<AppRequestContext>

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post { request, context -> Response in
            var request = request
            let (body, _) = try await request.decodeObject(fields: ["operations", "atomic"], context: context)
            let batch = try Self.parse(body)
            let groupId = request.headers[.groupId]
            guard batch.atomic else {
                var outcomes: [Outcome] = []
                for operation in batch.operations {
                    outcomes.append(try await run(operation, groupId: groupId, context: context))
                }
                return Outcome.results(outcomes)
            }
            do {
                // Creations alone are one createThings, atomic by itself: its checks and
                // encoding then run outside the transaction, which holds only the writes.
                let allCreate = batch.operations.count > 1 && batch.operations.allSatisfy(\.createsThing)
                if allCreate, let outcomes = try await createThings(batch.operations[...], from: 0, groupId: groupId, context: context) {
                    return Outcome.results(outcomes)
                }
                // Refused as a whole: one by one, to name the operation at fault, without asking twice.
                let outcomes = try await service.atomically {
                    try await runAtomically(batch.operations, groupId: groupId, context: context, groupingCreates: !allCreate)
                }
                return Outcome.results(outcomes)
            } catch let failure as AtomicBatchFailure {
                return failure.response(of: batch.operations)
            }
        }
        return routes
    }

    /// The operations of an atomic batch in order, stopping at the first that fails.
    ///
    /// A run of `POST /api/things` is created by one ``OneService/createThings(_:in:)``: the
    /// same checks, validation and events as the route's, with one quota admission and one
    /// insert for the run. Should the run be refused as a whole (a quota, the role), its
    /// operations go through the route one by one, which names the one at fault.
    private func runAtomically(
        _ operations: [BatchOperation], groupId: String?, context: AppRequestContext, groupingCreates: Bool
    ) async throws -> [Outcome] {
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(operations.count)
        var index = 0
        while index < operations.count {
            let creates = operations[index...].prefix { $0.createsThing }
            if groupingCreates, creates.count > 1, let created = try await createThings(creates, from: index, groupId: groupId, context: context) {
                outcomes += created
                index += creates.count
                continue
            }
            let outcome = try await run(operations[index], groupId: groupId, context: context)
            guard outcome.status < 400 else { throw AtomicBatchFailure(index: index, outcome: outcome) }
            outcomes.append(outcome)
            index += 1
        }
        return outcomes
    }

    /// A run of thing creations in one domain call; `nil` when the run as a whole was refused.
    private func createThings(
        _ operations: ArraySlice<BatchOperation>, from start: Int, groupId: String?, context: AppRequestContext
    ) async throws -> [Outcome]? {
        var inputs: [NewThing] = []
        for (offset, operation) in operations.enumerated() {
            do {
                inputs.append(try NewThing(json: operation.body ?? .null))
            } catch let error as OneError {
                throw AtomicBatchFailure(index: start + offset, outcome: Outcome(error))
            }
        }
        do {
            let scope = try await service.scope(for: try context.requirePrincipal(), groupId: groupId)
            return try await service.createThings(inputs, in: scope).map { Outcome(status: 201, json: $0.json) }
        } catch let failure as ItemFailure {
            throw AtomicBatchFailure(index: start + failure.index, outcome: Outcome(failure.error))
        } catch is OneError {
            return nil
        }
    }

    /// One operation through the route table, its answer read in full.
    private func run(_ operation: BatchOperation, groupId: String?, context: AppRequestContext) async throws -> Outcome {
        var head = HTTPRequest(method: operation.method, scheme: nil, authority: nil, path: operation.path)
        head.headerFields[.contentType] = "application/json"
        if let groupId { head.headerFields[.groupId] = groupId }
        let body = operation.body.map { ByteBuffer(string: $0.jsonText()) } ?? ByteBuffer()
        let response = try await operations.respond(to: Request(head: head, body: .init(buffer: body)), context: context)
        let collector = BodyCollector()
        try await response.body.write(collector)
        return Outcome(status: response.status.code, body: collector.buffer)
    }

    /// The operations of a batch request, each checked, naming the field at fault.
    private static func parse(_ body: JSONValue) throws -> (operations: [BatchOperation], atomic: Bool) {
        let members = body.objectValue ?? [:]
        var atomic = false
        if let value = members["atomic"], value != .null {
            guard case .bool(let flag) = value else { throw OneError.validation("atomic", "atomic must be a boolean") }
            atomic = flag
        }
        guard let operations = members["operations"]?.arrayValue, !operations.isEmpty else {
            throw OneError.validation("operations", "operations must hold 1 to \(maxOperations) operations")
        }
        guard operations.count <= maxOperations else {
            throw OneError.validation("operations", "a batch holds at most \(maxOperations) operations, not \(operations.count)")
        }
        let parsed = try operations.enumerated().map { index, operation in
            try BatchOperation(operation, field: "operations[\(index)]")
        }
        return (parsed, atomic)
    }
}

/// An operation checked: a method and a path under one of the batchable routes.
struct BatchOperation: Sendable {
    let method: HTTPRequest.Method
    let path: String
    let body: JSONValue?

    /// Whether this is `POST /api/things`, which an atomic batch may run together with its neighbours.
    var createsThing: Bool { method == .post && path == "/api/things" }

    init(_ input: JSONValue, field: String) throws {
        guard let members = input.objectValue else {
            throw OneError.validation(field, "\(field) must be an object with method, path and body")
        }
        if let unknown = members.keys.sorted().first(where: { !["method", "path", "body"].contains($0) }) {
            throw OneError.validation("\(field).\(unknown)", "unknown field '\(unknown)'; allowed fields: body, method, path")
        }
        guard let name = members["method"]?.stringValue?.uppercased(), let method = HTTPRequest.Method(name),
            [.get, .post, .patch, .put, .delete].contains(method)
        else {
            throw OneError.validation("\(field).method", "\(field).method must be GET, POST, PATCH, PUT or DELETE")
        }
        guard let path = members["path"]?.stringValue, path.hasPrefix("/api/"), path.utf8.count <= 2048,
            let dimension = path.dropFirst(5).split(separator: "/").first.map({ String($0.prefix { $0 != "?" }) }),
            BatchController.dimensions.contains(dimension)
        else {
            let allowed = BatchController.dimensions.sorted().map { "/api/\($0)" }.joined(separator: ", ")
            throw OneError.validation("\(field).path", "\(field).path must be a path under \(allowed)")
        }
        let body = members["body"].flatMap { $0 == .null ? nil : $0 }
        if let body, body.objectValue == nil {
            throw OneError.validation("\(field).body", "\(field).body must be a JSON object, not \(body.typeName)")
        }
        self.method = method
        self.path = path
        self.body = body
    }
}

/// One operation's answer, its body kept as the bytes the route wrote (always JSON).
private struct Outcome: Sendable {
    let status: Int
    let body: ByteBuffer

    init(status: Int, body: ByteBuffer) {
        self.status = status
        self.body = body
    }

    init(status: Int, json: JSONValue) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        json.write(into: &bytes)
        self.init(status: status, body: ByteBuffer(bytes: bytes))
    }

    /// The answer the route gives for `error`.
    init(_ error: OneError) {
        self.init(status: error.httpStatus.code, json: ErrorBody(error).json)
    }

    /// The body parsed, for the failing operation of an atomic batch.
    var json: JSONValue {
        (try? body.readableBytesView.withContiguousStorageIfAvailable { try JSONValue(utf8: $0) }) ?? .null
    }

    /// `{"results": [{"status", "body"}, …]}`, with each body spliced in as it was written.
    static func results(_ outcomes: [Outcome]) -> Response {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(outcomes.reduce(16) { $0 + $1.body.readableBytes + 24 })
        buffer.writeString("{\"results\":[")
        for (index, outcome) in outcomes.enumerated() {
            if index > 0 { buffer.writeString(",") }
            buffer.writeString("{\"status\":\(outcome.status),\"body\":")
            if outcome.body.readableBytes == 0 { buffer.writeString("null") } else { buffer.writeImmutableBuffer(outcome.body) }
            buffer.writeString("}")
        }
        buffer.writeString("]}")
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: buffer))
    }
}

/// Ends an atomic batch at its first failing operation, rolling back what came before.
private struct AtomicBatchFailure: Error {
    let index: Int
    let outcome: Outcome

    /// The failing operation's status, with its error and where it stood in the batch.
    func response(of operations: [BatchOperation]) -> Response {
        let operation = operations[index]
        let body = outcome.json
        let error = body.objectValue
        let reason = error?["error"]?.stringValue ?? "it answered \(outcome.status)"
        let answer: JSONValue = [
            "error": .string(
                "operation \(index + 1) of \(operations.count) (\(operation.method.rawValue) \(operation.path)) failed, so none was applied: \(reason)"),
            "code": error?["code"] ?? .string(OneError.Code.validation.rawValue),
            "failedOperation": ["index": .integer(Int64(index)), "status": .integer(Int64(outcome.status)), "body": body],
        ]
        return Response(
            status: .init(code: outcome.status), headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: answer.jsonText())))
    }
}

/// Gathers a response body into one buffer.
private final class BodyCollector: ResponseBodyWriter {
    var buffer = ByteBuffer()

    func write(_ buffer: ByteBuffer) async throws {
        self.buffer.writeImmutableBuffer(buffer)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
