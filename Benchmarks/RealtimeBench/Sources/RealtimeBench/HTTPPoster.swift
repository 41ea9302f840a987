import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection that POSTs things, one request at a time. Reconnects when
/// the server closed it (an idle timeout, `Connection: close`). Lives on the event loop: every
/// method runs there (hence `@unchecked Sendable`, so the main thread may hand it back to the loop).
final class HTTPPoster: @unchecked Sendable {
    private let group: any EventLoopGroup
    private let eventLoop: any EventLoop
    private let settings: Settings
    private var channel: (any Channel)?
    private var handler: PostHandler?
    private var counter = 0
    private let id: Int

    init(id: Int, group: any EventLoopGroup, eventLoop: any EventLoop, settings: Settings) {
        self.id = id
        self.group = group
        self.eventLoop = eventLoop
        self.settings = settings
    }

    /// POSTs one thing; succeeds with the response status.
    func post() -> EventLoopFuture<HTTPResponseStatus> {
        eventLoop.assertInEventLoop()
        counter += 1
        let body = #"{"type":"\#(settings.queryType)","name":"bench \#(id)-\#(counter)","properties":{"price":1}}"#
        if let channel, let handler, channel.isActive {
            return handler.send(body: body, channel: channel)
        }
        return connect().flatMap { [self] channel in
            guard let handler else { return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
            return handler.send(body: body, channel: channel)
        }
    }

    func close() {
        eventLoop.assertInEventLoop()
        channel?.close(promise: nil)
        channel = nil
        handler = nil
    }

    private func connect() -> EventLoopFuture<any Channel> {
        let settings = self.settings
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(PostHandler(settings: settings))
                }
            }
            .connect(host: settings.host, port: settings.port)
            .flatMapThrowing { [self] channel in
                self.channel = channel
                self.handler = try channel.pipeline.syncOperations.handler(type: PostHandler.self)
                return channel
            }
    }
}

/// Writes a POST and completes its promise when the whole response has arrived.
final class PostHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let settings: Settings
    private var pending: EventLoopPromise<HTTPResponseStatus>?
    private var deadline: Scheduled<Void>?
    private var status: HTTPResponseStatus = .ok
    private var body = ""
    /// How long a response may take before the request fails and the connection is closed.
    static let responseTimeout = TimeAmount.seconds(30)

    init(settings: Settings) {
        self.settings = settings
    }

    func send(body text: String, channel: any Channel) -> EventLoopFuture<HTTPResponseStatus> {
        precondition(pending == nil, "one request at a time on a connection")
        let promise = channel.eventLoop.makePromise(of: HTTPResponseStatus.self)
        pending = promise
        let handler = NIOLoopBound(self, eventLoop: channel.eventLoop)
        deadline = channel.eventLoop.scheduleTask(in: Self.responseTimeout) {
            guard handler.value.pending?.futureResult === promise.futureResult else { return }
            handler.value.fail(PostTimeout())
            channel.close(promise: nil)
        }
        let body = channel.allocator.buffer(string: text)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(settings.host):\(settings.port)")
        headers.add(name: "X-API-Key", value: settings.apiKey)
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/api/things", headers: headers)
        let pipeline = channel.pipeline.syncOperations
        pipeline.write(NIOAny(HTTPClientRequestPart.head(head)), promise: nil)
        pipeline.write(NIOAny(HTTPClientRequestPart.body(.byteBuffer(body))), promise: nil)
        pipeline.writeAndFlush(NIOAny(HTTPClientRequestPart.end(nil)), promise: nil)
        return promise.futureResult
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
            body = ""
        case .body(var buffer):
            if status.code >= 300, body.utf8.count < 300 {
                body += buffer.readString(length: min(buffer.readableBytes, 300)) ?? ""
            }
        case .end:
            if status.code >= 300 { PostHandler.reportFailure(status: status, body: body) }
            let promise = pending
            pending = nil
            deadline?.cancel()
            deadline = nil
            promise?.succeed(status)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        let promise = pending
        pending = nil
        deadline?.cancel()
        deadline = nil
        promise?.fail(error)
    }

    /// The first few refused writes are shown, so a wrong key or a rate limit is obvious.
    nonisolated(unsafe) private static var failuresShown = 0
    private static func reportFailure(status: HTTPResponseStatus, body: String) {
        failuresShown += 1
        if failuresShown <= 5 { log("POST /api/things: HTTP \(status.code) \(body.prefix(200))") }
    }
}

@available(*, unavailable)
extension PostHandler: Sendable {}

struct PostTimeout: Error, CustomStringConvertible {
    var description: String { "no response within \(PostHandler.responseTimeout.nanoseconds / 1_000_000_000) s" }
}
