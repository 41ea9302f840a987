import Logging
import NIOCore
import NIOWebSocket
import OneCore
import Synchronization

extension RealtimeConnection {
    /// How long a close frame may wait for the peer's before the socket is shut regardless: a
    /// client that does not read cannot receive the close frame either.
    static let closeTimeout: TimeAmount = .seconds(2)

    // MARK: Messages to the client

    /// Queues a result frame for a subscription, replacing one not yet written. Returns whether
    /// the caller must have ``writeQueued()`` run on the event loop (none is due yet).
    func enqueue(_ subscriber: Subscriber, frame: ByteBuffer) -> Bool {
        state.withLock { state in
            guard !state.closed, state.subscriptions[subscriber.id]?.token == subscriber.token else { return false }
            if state.results.updateValue(frame, forKey: subscriber.id) == nil { state.resultOrder.append(subscriber.id) }
            return state.scheduleWrite()
        }
    }

    /// Queues a result and has it written.
    func deliver(_ subscriber: Subscriber, sequence: Int64, value: [UInt8]) {
        let frame = ServerMessage.resultFrame(id: subscriber.id, sequence: sequence, value: value)
        if enqueue(subscriber, frame: frame) { eventLoop.execute { self.writeQueued() } }
    }

    /// Tells the client a subscription failed; the hub ends it unless the failure is passing.
    func fail(_ subscriber: Subscriber, _ error: OneError) {
        guard state.withLock({ $0.subscriptions[subscriber.id]?.token == subscriber.token }) else { return }
        send(error: error, id: subscriber.id)
    }

    /// Forgets a subscription the hub ended.
    func forget(_ subscriber: Subscriber) {
        _ = state.withLock { $0.removeSubscription(subscriber.id, token: subscriber.token) }
    }

    func send(error: any Error, id: String?) {
        let error = error as? OneError ?? OneError(.internal, "internal server error")
        let frame = ServerMessage.textFrame(ServerMessage.error(id: id, error))
        let (due, overflowing) = state.withLock { state in
            guard !state.closed else { return (false, false) }
            state.control.append(frame)
            return (state.scheduleWrite(), state.control.count > Self.maxUnreadErrors)
        }
        if overflowing {
            close(.policyViolation, "more than \(Self.maxUnreadErrors) error messages unread")
            return
        }
        if due { eventLoop.execute { self.writeQueued() } }
    }

    /// Writes what is queued and flushes, on the event loop. While the socket is not writable
    /// the messages stay queued (newer results replacing older ones) and the wait is timed;
    /// the sweep tries again.
    func writeQueued() {
        eventLoop.preconditionInEventLoop()
        let writable = channel.isWritable
        let frames = state.withLock { state -> [ByteBuffer] in
            state.writeScheduled = false
            guard !state.closed, state.hasQueued else { return [] }
            guard writable else {
                if state.sendingSince == nil { state.sendingSince = .now }
                return []
            }
            var frames = state.control
            frames.reserveCapacity(frames.count + state.resultOrder.count)
            for id in state.resultOrder { if let frame = state.results[id] { frames.append(frame) } }
            state.control = []
            state.results = [:]
            state.resultOrder = []
            state.sendingSince = nil
            return frames
        }
        guard !frames.isEmpty else { return }
        let writer = self.writer.value
        for frame in frames { writer.write(frame) }
        writer.flush()
    }

    // MARK: Keeping the connection honest

    /// Pings the client each heartbeat, closing it if the last ping went unanswered; closes the
    /// connection when a send has been stuck too long, when it has held no subscription for
    /// the idle timeout, or when its credential has expired.
    func sweep(now: ContinuousClock.Instant) {
        let (sendingSince, idleSince, expiresAt, retry, ping, silent) = state.withLock { state in
            let due = now - state.pingedAt >= configuration.heartbeat
            let silent = due && state.awaitingPong
            if due, !silent {
                state.pingedAt = now
                state.awaitingPong = true
            }
            return (
                state.sendingSince, state.idleSince, state.subscriptions.values.compactMap(\.expiresAt).min(),
                state.hasQueued && state.scheduleWrite(), due && !silent && !state.closed, silent
            )
        }
        if retry { eventLoop.execute { self.writeQueued() } }
        if ping {
            let channel = self.channel
            eventLoop.execute { channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer()), promise: nil) }
        }
        if silent {
            close(.goingAway, "no answer to the last ping within \(configuration.heartbeat)")
        } else if let sendingSince, now - sendingSince > configuration.slowConsumerTimeout {
            close(.policyViolation, "slow consumer: a result waited more than \(configuration.slowConsumerTimeout) to be read")
        } else if let idleSince, now - idleSince > configuration.idleTimeout {
            close(.normalClosure, "idle: no subscription for \(configuration.idleTimeout)")
        } else if let expiresAt, expiresAt <= service.clock.now() {
            close(.policyViolation, "the credential has expired; connect again")
        }
    }

    /// A pong arrived: the client is there.
    func heard() {
        state.withLock { $0.awaitingPong = false }
    }

    // MARK: Closing

    /// Whether a close frame has been sent or received: nothing more is written or read.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Marks the connection closed; whether it was open (no close frame had been sent).
    func markClosed() -> Bool {
        state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
    }

    /// Sends a close frame with `code` and `reason`, once, and stops sending; the socket is
    /// shut when the client answers or after ``closeTimeout``. The future completes when the
    /// frame is written (or could not be).
    @discardableResult
    func close(_ code: WebSocketErrorCode, _ reason: String) -> EventLoopFuture<Void>? {
        guard markClosed() else { return nil }
        logger.info("closing a realtime connection", metadata: ["reason": "\(reason)"])
        let channel = self.channel
        return eventLoop.flatSubmit { Self.sendClose(code, reason, on: channel) }
    }

    /// Writes a close frame on `channel` (on its event loop) and shuts the socket after
    /// ``closeTimeout`` unless the peer answers first.
    @discardableResult
    static func sendClose(_ code: WebSocketErrorCode, _ reason: String, on channel: any Channel) -> EventLoopFuture<Void> {
        var data = channel.allocator.buffer(capacity: 2 + 123)
        data.write(webSocketErrorCode: code)
        // A control frame's payload is at most 125 bytes: the code and 123 of reason, cut on a character.
        var kept = Substring()
        for character in reason {
            guard kept.utf8.count + character.utf8.count <= 123 else { break }
            kept.append(character)
        }
        data.writeString(String(kept))
        channel.eventLoop.scheduleTask(in: closeTimeout) { channel.close(promise: nil) }
        return channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
    }
}
