import Hummingbird
import NIOCore
import OneCore
import ServiceLifecycle

/// `GET /api/events/stream`: a group's events as Server-Sent Events, each with its sequence as
/// the SSE `id`. Reads the event table after the last sequence sent whenever the hub says the
/// group changed, so a client that reconnects with `Last-Event-ID` gets every event after its
/// last one, none twice. The caller is proved again on each wake-up: a revoked key or an ended
/// session ends the stream.
struct EventStream: Sendable {
    static let pageSize = 100

    let hub: RealtimeHub
    let credential: CredentialDigest
    let groupId: String?
    let filter: EventQuery
    let heartbeat: Duration

    /// The events after `after` that the caller may read, checking the caller and the filters.
    func page(after: Int64) async throws -> Page<Event> {
        let service = hub.service
        let scope = try await service.scope(for: credential, groupId: groupId)
        return try await service.events(filter, in: scope, page: PageRequest(limit: Self.pageSize, after: String(after)))
    }

    /// The response: the first page is read before it starts, so bad filters and forbidden
    /// callers get a plain HTTP error.
    func response(after start: Int64, groupId scopeGroupId: String) async throws -> Response {
        // Listening starts before the first read, so a commit between the two still wakes the stream.
        guard let listener = await hub.listen(groupId: scopeGroupId) else {
            throw OneError(.unavailable, "the server is shutting down")
        }
        let first: Page<Event>
        do {
            first = try await page(after: start)
        } catch {
            await hub.stopListening(groupId: scopeGroupId, id: listener.id)
            throw error
        }
        let headers: HTTPFields = [
            .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache", .init("X-Accel-Buffering")!: "no",
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            do {
                try await stream(first: first, after: start, wakeUps: listener.wakeUps, to: &writer)
            } catch {}
            await hub.stopListening(groupId: scopeGroupId, id: listener.id)
            try? await writer.finish(nil)
        })
    }

    private func stream(
        first: Page<Event>, after start: Int64, wakeUps: AsyncStream<Int64>, to writer: inout any ResponseBodyWriter
    ) async throws {
        let (ticks, tick) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(1))
        // On shutdown the stream ends at once, so the server is not left waiting on it.
        try await withGracefulShutdownHandler {
            try await relay(first: first, after: start, wakeUps: wakeUps, ticks: ticks, tick: tick, to: &writer)
        } onGracefulShutdown: {
            tick.finish()
        }
    }

    private func relay(
        first: Page<Event>, after start: Int64, wakeUps: AsyncStream<Int64>, ticks: AsyncStream<Bool>,
        tick: AsyncStream<Bool>.Continuation, to writer: inout any ResponseBodyWriter
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in wakeUps { tick.yield(true) }
                tick.finish()
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: heartbeat)
                    tick.yield(false)
                }
            }
            defer { group.cancelAll() }
            var last = start
            var page = first
            var ticks = ticks.makeAsyncIterator()
            try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
            while true {
                last = try await send(page, after: last, to: &writer)
                if page.hasMore {
                    page = try await self.page(after: last)
                    continue
                }
                // Every tick reads the log: a heartbeat may have taken the place of a wake-up.
                guard let woken = await ticks.next() else { return }
                do {
                    page = try await self.page(after: last)
                    if !woken, page.items.isEmpty { try await writer.write(ByteBuffer(string: ": keep-alive\n\n")) }
                } catch let error as OneError {
                    var bytes = Array("event: error\ndata: ".utf8)
                    ErrorBody(error).json.write(into: &bytes)
                    bytes.append(contentsOf: "\n\n".utf8)
                    try await writer.write(ByteBuffer(bytes: bytes))
                    return
                }
            }
        }
    }

    /// Writes a page of events; returns the sequence of the last one written.
    private func send(_ page: Page<Event>, after last: Int64, to writer: inout any ResponseBodyWriter) async throws -> Int64 {
        guard !page.items.isEmpty else { return last }
        var bytes: [UInt8] = []
        for event in page.items {
            bytes.append(contentsOf: "id: \(event.sequence)\ndata: ".utf8)
            event.json.write(into: &bytes)
            bytes.append(contentsOf: "\n\n".utf8)
        }
        try await writer.write(ByteBuffer(bytes: bytes))
        return page.items.last?.sequence ?? last
    }
}
