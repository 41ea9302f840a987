import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import OneCore

/// JSON over HTTP to a model provider, with its failures worded for the API's clients: the
/// provider's name and status, never its credentials.
struct ProviderHTTP: Sendable {
    let name: String
    let client: HTTPClient
    let headers: [(String, String)]
    let timeout: TimeAmount

    func request(_ url: String, _ body: JSONValue) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "one")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body.jsonText()))
        return request
    }

    /// Posts `body` and reads the JSON answer.
    func post(_ url: String, _ body: JSONValue) async throws -> JSONValue {
        let response = try await send(request(url, body))
        let bytes = try await response.body.collect(upTo: 32 << 20)
        try check(response.status, bytes)
        guard let json = try? JSONValue(storedText: String(buffer: bytes)) else {
            throw OneError(.providerError, "\(name) answered with something other than JSON")
        }
        return json
    }

    /// Posts `body` and reads the answer as Server-Sent Events, each yielded as it arrives.
    /// Cancelling the consumer closes the connection, which stops the provider's generation.
    func events(_ url: String, _ body: JSONValue) -> AsyncThrowingStream<ServerSentEvent, any Error> {
        let request = request(url, body)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let response = try await send(request)
                    guard response.status == .ok else {
                        try check(response.status, try await response.body.collect(upTo: 1 << 20))
                        throw OneError(.providerError, "\(name) answered \(response.status.code) instead of an event stream")
                    }
                    var parser = ServerSentEventParser()
                    do {
                        for try await chunk in response.body {
                            for event in try parser.feed(chunk) { continuation.yield(event) }
                        }
                    } catch let error as OneError {
                        throw error
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        throw OneError(.providerError, "the event stream from \(name) broke off")
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func send(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        do {
            return try await client.execute(request, timeout: timeout)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw OneError(.providerError, "\(name) could not be reached at \(request.url)")
        }
    }

    private func check(_ status: HTTPResponseStatus, _ body: ByteBuffer) throws {
        guard !(200..<300).contains(status.code) else { return }
        // Providers put a readable message at error.message (OpenAI, Anthropic, Ollama alike).
        let json = try? JSONValue(storedText: String(buffer: body))
        let detail = json?.objectValue?["error"]?.objectValue?["message"]?.stringValue
            ?? json?.objectValue?["error"]?.stringValue
        throw OneError(.providerError, "\(name) refused the request (\(status.code))" + (detail.map { ": \($0.prefix(300))" } ?? ""))
    }
}

/// A provider's streamed answer read into generation events: `read` looks at each server-sent
/// event, yields the text it carries and updates the usage, and returns false at the stream's
/// end marker. Cancelling the consumer cancels the provider's request.
func generation(
    from events: AsyncThrowingStream<ServerSentEvent, any Error>,
    _ read: @escaping @Sendable (ServerSentEvent, inout TokenUsage, (String) -> Void) throws -> Bool
) -> AsyncThrowingStream<GenerationEvent, any Error> {
    AsyncThrowingStream { continuation in
        let task = Task {
            do {
                var usage = TokenUsage(prompt: 0, completion: 0)
                for try await event in events {
                    guard try read(event, &usage, { continuation.yield(.delta($0)) }) else { break }
                }
                continuation.yield(.finished(usage))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
    }
}

/// One Server-Sent Event: its `event:` name, if any, and its `data:` lines joined.
struct ServerSentEvent: Sendable, Equatable {
    var name: String?
    var data: String
}

/// Splits a byte stream into Server-Sent Events, across chunk boundaries. An event may hold
/// at most ``maxEventSize`` bytes, so a provider cannot make the server buffer without end.
struct ServerSentEventParser {
    static let maxEventSize = 1 << 20

    private var pending: [UInt8] = []
    private var name: String?
    private var data: [String] = []
    private var eventSize = 0

    mutating func feed(_ chunk: ByteBuffer) throws(OneError) -> [ServerSentEvent] {
        pending += chunk.readableBytesView
        var events: [ServerSentEvent] = []
        var start = pending.startIndex
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            var line = pending[start..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            start = newline + 1
            eventSize += line.count
            let text = String(decoding: line, as: UTF8.self)
            if text.isEmpty {
                if !data.isEmpty || name != nil { events.append(ServerSentEvent(name: name, data: data.joined(separator: "\n"))) }
                name = nil
                data = []
                eventSize = 0
            } else if text.hasPrefix("data:") {
                data.append(String(text.dropFirst(5).drop { $0 == " " }))
            } else if text.hasPrefix("event:") {
                name = String(text.dropFirst(6).drop { $0 == " " })
            }
        }
        pending.removeSubrange(..<start)
        guard eventSize + pending.count <= Self.maxEventSize else {
            throw OneError(.providerError, "a streamed event from the provider exceeds \(Self.maxEventSize) bytes")
        }
        return events
    }
}

/// The HTTP client for model providers: it fails a request at once when the provider cannot be
/// reached, instead of retrying the connection until the request's deadline (which, for a long
/// generation, is minutes). The caller shuts it down.
public enum ProviderClient {
    public static func make() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(10)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
