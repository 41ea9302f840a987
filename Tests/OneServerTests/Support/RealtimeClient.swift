import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOWebSocket
import OneCore
import Testing

/// A WebSocket client for realtime tests, over real loopback: what the server sends waits in
/// an inbox, read in order with a timeout; sends go out in order.
final class RealtimeClient: Sendable {
    enum Received: Sendable {
        case message(JSONValue)
        /// The server closed: its close code and reason, when it sent a close frame.
        case closed(code: WebSocketErrorCode?, reason: String?)
    }

    private let inbox = Inbox()
    private let outgoing: AsyncStream<String>.Continuation
    private let task: Task<Void, Never>

    init(port: Int, path: String = "/api/realtime", headers: HTTPFields = [:]) {
        let (outStream, outgoing) = AsyncStream.makeStream(of: String.self)
        self.outgoing = outgoing
        let inbox = self.inbox
        task = Task {
            var logger = Logger(label: "test.realtime")
            logger.logLevel = .critical
            let client = WebSocketClient(
                url: "ws://127.0.0.1:\(port)\(path)",
                configuration: .init(maxFrameSize: 1 << 24, additionalHeaders: headers, autoPing: .disabled),
                logger: logger
            ) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await text in outStream { try await outbound.write(.text(text)) }
                        try await outbound.close(.normalClosure, reason: nil)
                    }
                    for try await message in inbound.messages(maxSize: 1 << 24) {
                        if case .text(let text) = message { await inbox.put(.message(try JSONValue(jsonText: text))) }
                    }
                    group.cancelAll()
                }
            }
            let close = try? await client.run()
            await inbox.put(.closed(code: close?.closeCode, reason: close?.reason))
        }
    }

    deinit { outgoing.finish() }

    static func connect(_ server: TestServer, key: String? = nil, path: String = "/api/realtime", headers: HTTPFields = [:]) -> RealtimeClient {
        var headers = headers
        if let key { headers[HTTPField.Name("X-API-Key")!] = key }
        return RealtimeClient(port: server.port, path: path, headers: headers)
    }

    func send(_ message: JSONValue) {
        outgoing.yield(message.jsonText())
    }

    func send(text: String) {
        outgoing.yield(text)
    }

    func subscribe(_ id: String, _ query: String, _ args: JSONValue = [:]) {
        send(["type": "subscribe", "id": .string(id), "query": .string(query), "args": args])
    }

    func unsubscribe(_ id: String) {
        send(["type": "unsubscribe", "id": .string(id)])
    }

    /// Closes from the client side.
    func close() {
        outgoing.finish()
    }

    /// The next thing received, or `nil` if nothing came within `timeout`.
    func receive(within timeout: Duration = .seconds(10)) async -> Received? {
        await inbox.take(within: timeout)
    }

    /// The next message; fails the test if the connection closed or nothing came.
    func next(within timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        switch await receive(within: timeout) {
        case .message(let json)?: return json
        case .closed(let code, let reason)?:
            throw TestFailure("the server closed the connection (\(String(describing: code)) \(reason ?? ""))")
        case nil:
            throw TestFailure("no message within \(timeout)")
        }
    }

    /// Messages until one satisfies `matching`, which is returned.
    func next(
        within timeout: Duration = .seconds(10), where matching: (JSONValue) -> Bool,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while true {
            let message = try await next(within: deadline - .now, sourceLocation: sourceLocation)
            if matching(message) { return message }
        }
    }

    /// Waits for the server to close the connection.
    func closed(within timeout: Duration = .seconds(10)) async -> (code: WebSocketErrorCode?, reason: String?)? {
        let deadline = ContinuousClock.now + timeout
        while let received = await receive(within: deadline - .now) {
            if case .closed(let code, let reason) = received { return (code, reason) }
        }
        return nil
    }

    /// An inbox one reader takes from, with a timeout.
    private actor Inbox {
        private var items: [Received] = []
        private var waiter: (id: Int, continuation: CheckedContinuation<Received?, Never>)?
        private var nextId = 0

        func put(_ item: Received) {
            if let waiter {
                self.waiter = nil
                waiter.continuation.resume(returning: item)
            } else {
                items.append(item)
            }
        }

        func take(within timeout: Duration) async -> Received? {
            if !items.isEmpty { return items.removeFirst() }
            guard timeout > .zero else { return nil }
            nextId += 1
            let id = nextId
            return await withCheckedContinuation { continuation in
                waiter = (id, continuation)
                Task {
                    try? await Task.sleep(for: timeout)
                    self.expire(id)
                }
            }
        }

        private func expire(_ id: Int) {
            guard let waiter, waiter.id == id else { return }
            self.waiter = nil
            waiter.continuation.resume(returning: nil)
        }
    }
}

/// A test step that could not complete.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension JSONValue {
    /// A result message's list of results.
    var results: [JSONValue] { self["value"]?["results"]?.arrayValue ?? [] }
}
