import Logging
import NIOCore
import NIOWebSocket
import OneCore

/// The last handler of an upgraded realtime socket: reads the client's frames (RFC 6455) and
/// hands whole text messages to its ``RealtimeConnection``; answers pings and close frames.
/// A refused upgrade is told why and closed here.
final class RealtimeSocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private enum Role {
        case serving(RealtimeConnection)
        case refusing
    }

    private let admission: RealtimeEndpoint.Admission
    private let endpoint: RealtimeEndpoint
    private let logger: Logger
    private var role: Role = .refusing
    /// A text message split over frames, until its final frame.
    private var fragments: ByteBuffer?
    /// The bytes of a binary message being refused so far, while its frames are skipped; they
    /// are bounded as a text message's are.
    private var skippedBinary: Int?

    init(admission: RealtimeEndpoint.Admission, endpoint: RealtimeEndpoint, logger: Logger) {
        self.admission = admission
        self.endpoint = endpoint
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        switch admission {
        case .accepted(let caller, let groupId):
            let writer = RawFrameWriter()
            do {
                try context.pipeline.syncOperations.addHandler(writer, position: .first)
            } catch {
                return context.close(promise: nil)
            }
            let connection = endpoint.connection(for: caller, groupId: groupId, channel: context.channel, writer: writer, logger: logger)
            role = .serving(connection)
            connection.open()
        case .refused(let error):
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: ServerMessage.error(id: nil, error))), promise: nil)
            RealtimeConnection.sendClose(.policyViolation, error.message, on: context.channel)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        // Clients mask every frame, and no extension is negotiated that would set a reserved bit.
        guard frame.maskKey != nil, !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            return fail(context, .protocolError, "client frames must be masked and use no reserved bits")
        }
        // Once this side has sent its close frame, only the peer's close frame matters.
        guard frame.opcode == .connectionClose || !closing else { return }
        switch frame.opcode {
        case .text, .binary:
            guard fragments == nil, skippedBinary == nil else {
                return fail(context, .protocolError, "a new message began before the last one ended")
            }
            guard frame.opcode == .text else {
                if case .serving(let connection) = role { connection.send(error: OneError(.invalidJSON, "messages must be JSON text frames"), id: nil) }
                skippedBinary = frame.fin ? nil : frame.length
                return
            }
            if frame.fin { deliver(frame.unmaskedData, context) } else { fragments = frame.unmaskedData }
        case .continuation:
            if let skipped = skippedBinary {
                guard skipped + frame.length <= RealtimeEndpoint.maxMessageSize else {
                    return fail(context, .messageTooLarge, "a message may be at most \(RealtimeEndpoint.maxMessageSize) bytes")
                }
                skippedBinary = frame.fin ? nil : skipped + frame.length
                return
            }
            guard var message = fragments else { return fail(context, .protocolError, "a continuation frame without a message") }
            var piece = frame.unmaskedData
            guard message.readableBytes + piece.readableBytes <= RealtimeEndpoint.maxMessageSize else {
                return fail(context, .messageTooLarge, "a message may be at most \(RealtimeEndpoint.maxMessageSize) bytes")
            }
            message.writeBuffer(&piece)
            fragments = nil
            if frame.fin { deliver(message, context) } else { fragments = message }
        case .ping:
            guard frame.fin, frame.length <= 125 else { return fail(context, .protocolError, "control frames are final and short") }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            if case .serving(let connection) = role { connection.heard() }
        case .connectionClose:
            guard frame.fin, frame.length <= 125 else { return fail(context, .protocolError, "control frames are final and short") }
            closeReceived(frame, context)
        default:
            fail(context, .protocolError, "unknown opcode")
        }
    }

    private func deliver(_ message: ByteBuffer, _ context: ChannelHandlerContext) {
        guard case .serving(let connection) = role else { return }
        guard let text = String(validating: message.readableBytesView, as: UTF8.self) else {
            return fail(context, .dataInconsistentWithMessage, "text frames must be UTF-8")
        }
        if !connection.post(text) {
            // Too many messages wait: stop reading the socket until they are handled.
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
    }

    /// Whether this side has sent its close frame (a refusal always has).
    private var closing: Bool {
        switch role {
        case .serving(let connection): connection.isClosed
        case .refusing: true
        }
    }

    /// The peer's close frame: echo its code if this side has not sent one, then close.
    private func closeReceived(_ frame: WebSocketFrame, _ context: ChannelHandlerContext) {
        guard case .serving(let connection) = role, connection.markClosed() else { return context.close(promise: nil) }
        var data = frame.unmaskedData
        // Codes that say a close frame had none, or that a connection broke, never go on the wire.
        let code = data.readInteger(as: UInt16.self).flatMap { [1005, 1006, 1015].contains($0) ? nil : WebSocketErrorCode(codeNumber: Int($0)) }
            ?? .normalClosure
        let channel = context.channel
        var reply = channel.allocator.buffer(capacity: 2)
        reply.write(webSocketErrorCode: code)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: reply)))
            .whenComplete { _ in channel.close(promise: nil) }
    }

    private func fail(_ context: ChannelHandlerContext, _ code: WebSocketErrorCode, _ reason: String) {
        switch role {
        case .serving(let connection): connection.close(code, reason)
        case .refusing: context.close(promise: nil)
        }
    }

    /// A socket that could not take more is drained as soon as it can, not at the next sweep.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, case .serving(let connection) = role { connection.writeQueued() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .serving(let connection) = role { connection.ended() }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("realtime socket error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension RealtimeSocketHandler: Sendable {}

/// Sits next to the socket and writes frames already encoded, shared by every subscriber of a
/// result: no frame struct, header buffer or pipeline walk per socket.
final class RawFrameWriter: ChannelOutboundHandler {
    /// What passes through it: the encoder's frames, on their way to the socket.
    typealias OutboundIn = IOData

    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func write(_ frame: ByteBuffer) { context?.write(NIOAny(frame), promise: nil) }
    func flush() { context?.flush() }
}

@available(*, unavailable)
extension RawFrameWriter: Sendable {}
