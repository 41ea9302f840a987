import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Caps the connections a server holds open. A connection past the cap is answered
/// `503 UNAVAILABLE` with `Retry-After` on its first request and closed, so an overloaded
/// server sheds load at once instead of letting connections pile up.
final class ConnectionLimit: Sendable {
    let maximum: Int
    private let open = Atomic<Int>(0)

    init(maximum: Int) { self.maximum = maximum }

    /// The handler for one new connection.
    func handler() -> Handler { Handler(limit: self) }

    /// Counts its connection while open; past the cap, refuses its first request.
    final class Handler: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart

        private let limit: ConnectionLimit
        private var refusing = false

        init(limit: ConnectionLimit) { self.limit = limit }

        func handlerAdded(context: ChannelHandlerContext) {
            refusing = limit.open.wrappingAdd(1, ordering: .relaxed).newValue > limit.maximum
            // Counted until the connection closes, however its pipeline is taken apart.
            let limit = self.limit
            context.channel.closeFuture.whenComplete { _ in limit.open.wrappingSubtract(1, ordering: .relaxed) }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard refusing else { return context.fireChannelRead(data) }
            guard case .head = unwrapInboundIn(data) else { return }
            let body = #"{"error":"the server is at its connection limit; retry shortly","code":"UNAVAILABLE"}"#
            var head = HTTPResponse(status: .serviceUnavailable)
            head.headerFields = [.contentType: "application/json; charset=utf-8", .retryAfter: "1", .connection: "close",
                                 .contentLength: String(body.utf8.count)]
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(ByteBuffer(string: body))), promise: nil)
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in loopBound.value.close(promise: nil) }
        }
    }
}
