import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// One WebSocket connection with one subscription. Lives on the event loop: every property is
/// read and written there only (hence `@unchecked Sendable`, so that NIO's `@Sendable`
/// set-up closures may carry it to the loop).
final class Subscription: @unchecked Sendable {
    enum State {
        /// Connecting, upgrading, or waiting for the initial result.
        case connecting
        /// Got its initial result.
        case ready
        /// Gave up before becoming ready (reported to the coordinator once).
        case failed
        /// Was ready, then the connection closed.
        case closed
    }

    let index: Int
    unowned let coordinator: Coordinator
    var state: State = .connecting
    /// The latency round this subscriber last answered, so a round counts each subscriber once.
    var lastRound = 0
    var channel: (any Channel)?
    /// Fails the subscriber if it is not ready in time; cancelled once it is ready or failed.
    var readyTimer: Scheduled<Void>?

    init(index: Int, coordinator: Coordinator) {
        self.index = index
        self.coordinator = coordinator
    }
}

/// Opens the connection: TCP, the HTTP/1.1 upgrade (a random 16-byte `Sec-WebSocket-Key`, checked
/// against `Sec-WebSocket-Accept` by `NIOWebSocketClientUpgrader`), then the subscribe frame.
func connectSubscription(_ subscription: Subscription, group: any EventLoopGroup, settings: Settings) {
    let coordinator = subscription.coordinator
    let bootstrap = ClientBootstrap(group: group)
        .connectTimeout(.seconds(10))
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        // A push (a list of 20 things) is several kilobytes: read it in one system call rather than
        // growing from NIO's 2 KiB default read buffer.
        .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16384, maximum: 65536))
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                let upgrader = NIOWebSocketClientUpgrader(
                    maxFrameSize: settings.maxFrameSize,
                    automaticErrorHandling: true,
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            // The HTTP side is done: drop its handler before WebSocket frames flow.
                            channel.pipeline.syncOperations.removeHandler(name: UpgradeRequestHandler.name, promise: nil)
                            try channel.pipeline.syncOperations.addHandler(
                                SubscriberHandler(subscription: subscription, subscribe: settings.subscribeMessage))
                        }
                    })
                // `.forwardBytes`: frames that arrive in the same read as the 101 are kept, not dropped.
                try channel.pipeline.syncOperations.addHTTPClientHandlers(
                    leftOverBytesStrategy: .forwardBytes,
                    withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                try channel.pipeline.syncOperations.addHandler(
                    UpgradeRequestHandler(subscription: subscription, settings: settings), name: UpgradeRequestHandler.name)
            }
        }
    bootstrap.connect(host: settings.host, port: settings.port).whenComplete { result in
        switch result {
        case .success(let channel):
            subscription.channel = channel
        case .failure(let error):
            coordinator.subscriptionFailed(subscription, reason: "connect: \(error)")
        }
    }
}

/// Sends the upgrade request when the connection is up; sees an HTTP response only when the
/// server refused the upgrade (it is removed from the pipeline once the upgrade succeeds).
final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    static let name = "realtime-bench-upgrade-request"

    private let subscription: Subscription
    private let settings: Settings
    private var status: HTTPResponseStatus?
    private var body = ""

    init(subscription: Subscription, settings: Settings) {
        self.subscription = subscription
        self.settings = settings
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(settings.host):\(settings.port)")
        headers.add(name: "X-API-Key", value: settings.apiKey)
        // NIOHTTPClientUpgradeHandler adds Connection, Upgrade, Sec-WebSocket-Key and -Version.
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: settings.path, headers: headers)
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
        case .body(var buffer):
            if body.utf8.count < 300 { body += buffer.readString(length: min(buffer.readableBytes, 300)) ?? "" }
        case .end:
            let status = status.map { "\($0.code) \($0.reasonPhrase)" } ?? "?"
            subscription.coordinator.subscriptionFailed(
                subscription, reason: "upgrade refused: HTTP \(status) \(body.prefix(300).split(whereSeparator: \.isNewline).joined(separator: " "))")
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        subscription.coordinator.subscriptionFailed(subscription, reason: "handshake: \(error)")
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        subscription.coordinator.subscriptionFailed(subscription, reason: "closed during the handshake")
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension UpgradeRequestHandler: Sendable {}

/// The WebSocket side: subscribes, timestamps every complete message as it is read, answers
/// pings and close frames. Client frames are masked (RFC 6455 §5.3).
final class SubscriberHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let subscription: Subscription
    private let subscribe: String
    /// A message split over continuation frames, until its last frame.
    private var fragments: ByteBuffer?
    private var sentClose = false

    init(subscription: Subscription, subscribe: String) {
        self.subscription = subscription
        self.subscribe = subscribe
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Added by the upgrader once the 101 arrived, so the channel is active.
        let data = context.channel.allocator.buffer(string: subscribe)
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: data)
        context.writeAndFlush(Self.wrapOutboundOut(frame), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = monotonicNanos()
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            if frame.fin {
                fragments = nil
                message(frame.unmaskedData, at: now, context: context)
            } else {
                fragments = frame.unmaskedData
            }
        case .continuation:
            guard var buffer = fragments else { return }
            var piece = frame.unmaskedData
            buffer.writeBuffer(&piece)
            if frame.fin {
                fragments = nil
                message(buffer, at: now, context: context)
            } else {
                fragments = buffer
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(Self.wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readInteger(as: UInt16.self)
            let reason = data.readString(length: data.readableBytes) ?? ""
            subscription.coordinator.serverClosed(subscription, code: code, reason: reason)
            closeAfterEcho(context: context, code: code)
        default:
            break
        }
    }

    private func message(_ buffer: ByteBuffer, at now: UInt64, context: ChannelHandlerContext) {
        switch messageKind(buffer) {
        case .result:
            subscription.coordinator.result(subscription, at: now)
        case .error:
            subscription.coordinator.serverError(subscription, message: String(buffer: buffer))
        case .other:
            break
        }
    }

    /// Answers a close frame with one carrying the same code, then closes (RFC 6455 §5.5.1).
    private func closeAfterEcho(context: ChannelHandlerContext, code: UInt16?) {
        guard !sentClose else {
            context.close(promise: nil)
            return
        }
        sentClose = true
        var data = context.channel.allocator.buffer(capacity: 2)
        if let code { data.writeInteger(code) }
        let close = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
        let loopBoundContext = context.loopBound
        context.writeAndFlush(Self.wrapOutboundOut(close)).whenComplete { _ in
            loopBoundContext.value.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        subscription.coordinator.subscriptionClosed(subscription)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        subscription.coordinator.subscriptionError(subscription, error: error)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension SubscriberHandler: Sendable {}
