import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// Every connection the server accepts: HTTP/1.1, or a WebSocket on `GET /api/realtime`.
///
/// An upgraded socket is served by a ``RealtimeSocketHandler`` in its pipeline and nothing
/// else: no Swift task, async stream or writer per connection, so an idle subscriber costs a
/// few kilobytes and a push is written straight from the event loop. HTTP connections are
/// handled by Hummingbird as usual.
struct RealtimeChannel: ServerChildChannel, HTTPChannelHandler {
    enum Outcome: Sendable {
        /// The socket is a WebSocket, served by its handler from now on.
        case webSocket
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// An upgrade was asked for something that is not a WebSocket endpoint, or without a
        /// valid handshake: 400.
        case failedUpgrade(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
    }

    struct Value: ServerChildChannelValue {
        let outcome: EventLoopFuture<Outcome>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let http1: HTTP1Channel.Configuration
    let endpoint: RealtimeEndpoint

    init(responder: @escaping HTTPChannelHandler.Responder, http1: HTTP1Channel.Configuration, endpoint: RealtimeEndpoint) {
        self.responder = Self.redirectingLateUpgrades(responder)
        self.http1 = http1
        self.endpoint = endpoint
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // Set and read on the event loop: the admission by `shouldUpgrade`, the attempt by
            // the upgrader before it checks the handshake.
            let admission = NIOLoopBoundBox<RealtimeEndpoint.Admission?>(nil, eventLoop: channel.eventLoop)
            let upgradeAttempted = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let webSocket = NIOTypedWebSocketServerUpgrader<Outcome>(
                maxFrameSize: RealtimeEndpoint.maxMessageSize,
                shouldUpgrade: { channel, head in
                    let promise = channel.eventLoop.makePromise(of: RealtimeEndpoint.Admission?.self)
                    promise.completeWithTask { await endpoint.admit(try HTTPRequest(head, secure: false, splitCookie: false)) }
                    return promise.futureResult.map { granted in
                        admission.value = granted
                        return granted == nil ? nil : HTTPHeaders()
                    }
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard let granted = admission.value else { throw NIOWebSocketUpgradeError.unsupportedWebSocketTarget }
                        try channel.pipeline.syncOperations.addHandler(
                            RealtimeSocketHandler(admission: granted, endpoint: endpoint, logger: logger))
                        return .webSocket
                    }
                }
            )
            let upgrade = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [AttemptRecordingUpgrader(webSocket, attempted: upgradeAttempted)],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandlers(http1.additionalChannelHandlers())
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(idleTimeout: http1.idleTimeout.map { .init($0) }, logger: logger))
                        let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        return upgradeAttempted.value ? .failedUpgrade(http) : .http(http)
                    }
                }
            )
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Outcome>(upgradeConfiguration: upgrade)
            configuration.enablePipelining = false  // NIOAsyncChannel serialises requests
            configuration.enableErrorHandling = false  // Hummingbird answers malformed requests
            configuration.enableResponseHeaderValidation = false  // HTTPTypes has validated them
            configuration.decoderConfiguration.maxHeaderFieldSize = http1.httpDecoder.maxHeaderFieldSize
            configuration.decoderConfiguration.maxHeaderListSize = http1.httpDecoder.maxHeaderListSize
            configuration.decoderConfiguration.maxHeaderFieldCount = http1.httpDecoder.maxHeaderFieldCount
            let outcome = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            return Value(outcome: outcome, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.outcome.get() {
            case .webSocket:
                // The pipeline's handler serves it; nothing waits here.
                return
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .failedUpgrade(let http):
                try await http.executeThenClose { _, outbound in
                    let head = HTTPResponse(status: .badRequest, headerFields: [.connection: "close", .contentLength: "0"])
                    try await outbound.write(contentsOf: [.head(head), .end(nil)])
                }
            }
        } catch {
            logger.debug("connection ended during its upgrade", metadata: ["error": "\(error)"])
        }
    }

    /// NIO upgrades only a connection's first request. A later, well-formed upgrade request to
    /// the realtime endpoint on a keep-alive connection is redirected to itself with the
    /// connection closed, so the client retries it first on a new one. Any other request goes to
    /// the routes, which answer a malformed upgrade plainly rather than redirect it forever.
    private static func redirectingLateUpgrades(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        struct RedirectedUpgrade: Error {}
        return { request, responseWriter, channel in
            guard request.uri.path == RealtimeEndpoint.path, request.headers[.upgrade]?.lowercased() == "websocket",
                request.headers[.secWebSocketKey] != nil, request.headers[.secWebSocketVersion] == "13"
            else {
                return try await responder(request, responseWriter, channel)
            }
            let location = request.uri.query.map { "\(request.uri.path)?\($0)" } ?? request.uri.path
            try await responseWriter.writeResponse(
                HTTPResponse(status: .temporaryRedirect, headerFields: [.connection: "close", .location: location]))
            throw RedirectedUpgrade()
        }
    }
}

/// The WebSocket upgrader, noting that an upgrade was asked for before the handshake is
/// checked: a request without a valid `Sec-WebSocket-Key` is then answered 400, where NIO's
/// upgrader alone would leave it unanswered.
private struct AttemptRecordingUpgrader: NIOTypedHTTPServerProtocolUpgrader {
    let upgrader: NIOTypedWebSocketServerUpgrader<RealtimeChannel.Outcome>
    let attempted: NIOLoopBoundBox<Bool>

    init(_ upgrader: NIOTypedWebSocketServerUpgrader<RealtimeChannel.Outcome>, attempted: NIOLoopBoundBox<Bool>) {
        self.upgrader = upgrader
        self.attempted = attempted
    }

    var supportedProtocol: String { upgrader.supportedProtocol }
    var requiredUpgradeHeaders: [String] { upgrader.requiredUpgradeHeaders }

    func buildUpgradeResponse(
        channel: any Channel, upgradeRequest: HTTPRequestHead, initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        attempted.value = true
        return upgrader.buildUpgradeResponse(
            channel: channel, upgradeRequest: upgradeRequest, initialResponseHeaders: initialResponseHeaders)
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<RealtimeChannel.Outcome> {
        upgrader.upgrade(channel: channel, upgradeRequest: upgradeRequest)
    }
}
