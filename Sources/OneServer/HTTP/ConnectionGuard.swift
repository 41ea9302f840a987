import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// The first handler of every connection, beneath HTTP and WebSocket alike, so it holds for
/// both: it counts open connections and answers one past the cap `503` with `Retry-After`
/// before closing it, and it closes a connection whose first request head has not arrived in
/// full within `headTimeout` of connecting (a slowloris client trickling header bytes would
/// otherwise hold it for the whole idle timeout). Once the head is in it leaves the pipeline;
/// the connection stays counted until it closes. Later requests are bounded by the idle
/// timeout, and an upgraded WebSocket by its heartbeat.
final class ConnectionGuard: Sendable {
    let maximum: Int
    let headTimeout: TimeAmount
    private let open = Atomic<Int>(0)

    init(maximum: Int, headTimeout: TimeAmount) {
        self.maximum = maximum
        self.headTimeout = headTimeout
    }

    func handler() -> Handler { Handler(guard: self) }

    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer

        private static let refusal: String = {
            let body = #"{"error":"the server is at its connection limit; retry shortly","code":"UNAVAILABLE"}"#
            return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
                + "Retry-After: 1\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        }()

        private let owner: ConnectionGuard
        private var refusing = false
        private var deadline: Scheduled<Void>?
        /// How many bytes of the `\r\n\r\n` ending a request head have been seen in a row.
        private var matched = 0

        init(guard owner: ConnectionGuard) { self.owner = owner }

        func handlerAdded(context: ChannelHandlerContext) {
            refusing = owner.open.wrappingAdd(1, ordering: .relaxed).newValue > owner.maximum
            // Counted until the connection closes, however its pipeline is taken apart.
            let owner = self.owner
            context.channel.closeFuture.whenComplete { _ in owner.open.wrappingSubtract(1, ordering: .relaxed) }
            if context.channel.isActive { scheduleDeadline(context) }
        }

        func channelActive(context: ChannelHandlerContext) {
            if deadline == nil { scheduleDeadline(context) }
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if refusing { return refuse(context) }
            let buffer = unwrapInboundIn(data)
            if headEnds(in: buffer) {
                deadline?.cancel()
                context.fireChannelRead(data)
                context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            } else {
                context.fireChannelRead(data)
            }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            deadline?.cancel()
        }

        func channelInactive(context: ChannelHandlerContext) {
            deadline?.cancel()
            context.fireChannelInactive()
        }

        private func headEnds(in buffer: ByteBuffer) -> Bool {
            let terminator: [UInt8] = [13, 10, 13, 10]
            for byte in buffer.readableBytesView {
                matched = byte == terminator[matched] ? matched + 1 : (byte == 13 ? 1 : 0)
                if matched == 4 { return true }
            }
            return false
        }

        private func refuse(_ context: ChannelHandlerContext) {
            refusing = false
            deadline?.cancel()
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(NIOAny(ByteBuffer(string: Self.refusal))).whenComplete { _ in
                loopBound.value.close(promise: nil)
            }
        }

        private func scheduleDeadline(_ context: ChannelHandlerContext) {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            deadline = context.eventLoop.scheduleTask(in: owner.headTimeout) {
                loopBound.value.close(promise: nil)
            }
        }
    }
}

/// A server child channel with a ``ConnectionGuard`` in front of the one it wraps.
struct GuardedChannel<Base: ServerChildChannel>: ServerChildChannel {
    let base: Base
    let connectionGuard: ConnectionGuard

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Base.Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(connectionGuard.handler(), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return base.setup(channel: channel, logger: logger)
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
