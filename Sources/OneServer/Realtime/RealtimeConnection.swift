import Logging
import NIOCore
import NIOWebSocket
import OneCore
import Synchronization
import HummingbirdWebSocket

/// One client's WebSocket: its subscriptions, and the messages waiting to be written to it.
///
/// Messages are written straight to the channel on its event loop, with no task of its own:
/// the hub hands each loop its connections' results in one go. Results wait one per
/// subscription while the socket is not writable, a newer one replacing the one not yet sent,
/// so a client that reads slowly gets the latest state rather than a backlog, and what waits
/// for it is bounded by its subscriptions (and NIO's write buffer by its high-water mark). A
/// result kept waiting longer than the slow-consumer timeout closes the connection; the hub
/// never waits on a socket.
final class RealtimeConnection: Sendable {
    struct Subscription: Sendable {
        let query: RealtimeQuery
        let groupId: String?
        let key: EvaluationKey
        let token: UInt64
        let expiresAt: Timestamp?
    }

    private struct State {
        var subscriptions: [String: Subscription] = [:]
        /// Results not yet written, by subscription ID, in the order they first waited.
        var results: [String: ByteBuffer] = [:]
        var resultOrder: [String] = []
        /// Errors and acknowledgements, written before results, in order.
        var control: [ByteBuffer] = []
        var sendingSince: ContinuousClock.Instant?
        /// Whether a write of the queue is already due on the event loop.
        var writeScheduled = false
        var idleSince: ContinuousClock.Instant?
        var revalidating = false
        var revalidateAgain = false
        var closed = false

        var hasQueued: Bool { !control.isEmpty || !resultOrder.isEmpty }

        /// Ends subscription `id` (only while it still has `token`, when given): its waiting
        /// result goes, and the idle clock starts when none is left.
        mutating func removeSubscription(_ id: String, token: UInt64? = nil) -> Subscription? {
            guard let subscription = subscriptions[id], token == nil || subscription.token == token else { return nil }
            subscriptions[id] = nil
            dropResult(id)
            if subscriptions.isEmpty { idleSince = .now }
            return subscription
        }

        mutating func dropResult(_ id: String) {
            if results.removeValue(forKey: id) != nil { resultOrder.removeAll { $0 == id } }
        }

        /// Marks a write as due; whether it was not already.
        mutating func scheduleWrite() -> Bool {
            guard !writeScheduled else { return false }
            writeScheduled = true
            return true
        }
    }

    let credential: CredentialDigest
    /// The group named by `X-Group-Id` on the upgrade request: the default for every subscription.
    let groupId: String?
    private let hub: RealtimeHub
    private let rateLimiter: RateLimiter
    /// The caller's rate-limit bucket, as proved at the upgrade.
    private let rate: (key: String, limit: RateLimit)
    private let outbound: WebSocketOutboundWriter
    private let channel: any Channel
    private let logger: Logger
    private let state: Mutex<State>

    init(
        credential: CredentialDigest, groupId: String?, hub: RealtimeHub, rateLimiter: RateLimiter, caller: Principal,
        outbound: WebSocketOutboundWriter, channel: any Channel, logger: Logger
    ) {
        self.credential = credential
        self.groupId = groupId
        self.hub = hub
        self.rateLimiter = rateLimiter
        self.rate = (caller.credentialId, caller.rateLimit)
        self.outbound = outbound
        self.channel = channel
        self.logger = logger
        self.state = Mutex(State(idleSince: .now))
    }

    /// The event loop the socket is served on: where its writes happen.
    var eventLoop: any EventLoop { channel.eventLoop }

    /// Error messages that may wait on a socket that is not being read before it is closed.
    static let maxUnreadErrors = 100

    private var service: OneService { hub.service }
    private var configuration: RealtimeConfiguration { hub.configuration }

    // MARK: Messages from the client

    /// Handles one text message: a subscribe or an unsubscribe. Every message costs one
    /// request of the caller's rate limit, charged before it is read, so malformed and refused
    /// ones are not free.
    func receive(_ text: String) async {
        if let retryAfter = rateLimiter.admit(keyId: rate.key, limit: rate.limit) {
            let message = "rate limit of \(rate.limit.requests) requests per minute exceeded; retry in \(retryAfter) s"
            return send(error: OneError(.rateLimited, message, retryAfter: retryAfter), id: nil)
        }
        let message: ClientMessage
        do {
            message = try ClientMessage(text)
        } catch {
            return send(error: error, id: nil)
        }
        switch message.type {
        case .subscribe: await subscribe(message)
        case .unsubscribe: await unsubscribe(id: message.id)
        }
    }

    private func subscribe(_ message: ClientMessage) async {
        let id = message.id
        do {
            let (count, taken) = state.withLock { ($0.subscriptions.count, $0.subscriptions[id] != nil) }
            if taken {
                throw OneError(.conflict, "a subscription \(id) is already open on this connection; unsubscribe first", field: "id")
            }
            guard count < configuration.maxSubscriptions else {
                throw OneError(.quotaExceeded, "a connection may hold \(configuration.maxSubscriptions) subscriptions; unsubscribe first")
            }
            let (query, groupId) = try RealtimeQuery.parse(query: message.query, args: message.args)
            let scope = try await resolve(groupId: groupId)
            let token = await hub.makeToken()
            let subscription = Subscription(
                query: query, groupId: groupId, key: EvaluationKey(query, scope), token: token,
                expiresAt: scope.principal.expiresAt)
            let added = state.withLock { state in
                guard !state.closed, state.subscriptions[id] == nil else { return false }
                state.subscriptions[id] = subscription
                state.idleSince = nil
                return true
            }
            guard added else { return }
            await hub.subscribe(Subscriber(connection: self, id: id, token: token), to: subscription.key, in: scope)
        } catch {
            send(error: error, id: id)
        }
    }

    private func unsubscribe(id: String) async {
        let removed = state.withLock { $0.removeSubscription(id) }
        guard let removed else {
            return send(error: OneError(.notFound, "no subscription \(id) is open on this connection", field: "id"), id: id)
        }
        await hub.unsubscribe(token: removed.token, from: removed.key)
    }

    /// The scope a subscription runs in: the credential's principal now, in the group it names.
    private func resolve(groupId: String?) async throws -> Scope {
        try await service.scope(for: credential, groupId: groupId ?? self.groupId)
    }

    // MARK: Messages to the client

    /// Queues a result for a subscription, replacing one not yet written. Returns whether the
    /// caller must have ``writeQueued()`` run on the event loop (none is due yet).
    func enqueue(_ subscriber: Subscriber, sequence: Int64, value: [UInt8]) -> Bool {
        let frame = ServerMessage.result(id: subscriber.id, sequence: sequence, value: value)
        return state.withLock { state in
            guard !state.closed, state.subscriptions[subscriber.id]?.token == subscriber.token else { return false }
            if state.results.updateValue(frame, forKey: subscriber.id) == nil { state.resultOrder.append(subscriber.id) }
            return state.scheduleWrite()
        }
    }

    /// Queues a result and has it written.
    func deliver(_ subscriber: Subscriber, sequence: Int64, value: [UInt8]) {
        if enqueue(subscriber, sequence: sequence, value: value) { eventLoop.execute { self.writeQueued() } }
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

    /// Tells the client a message could not be read.
    func refuse(_ error: OneError) {
        send(error: error, id: nil)
    }

    private func send(error: any Error, id: String?) {
        let error = error as? OneError ?? OneError(.internal, "internal server error")
        let frame = ServerMessage.error(id: id, error)
        let (due, overflowing) = state.withLock { state in
            guard !state.closed else { return (false, false) }
            state.control.append(frame)
            return (state.scheduleWrite(), state.control.count > Self.maxUnreadErrors)
        }
        if overflowing { return close(.policyViolation, "more than \(Self.maxUnreadErrors) error messages unread") }
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
        for frame in frames {
            channel.write(WebSocketFrame(fin: true, opcode: .text, data: frame), promise: nil)
        }
        channel.flush()
    }

    // MARK: Keeping the connection honest

    /// Closes the connection when a send has been stuck too long, when it has held no
    /// subscription for the idle timeout, or when its credential has expired.
    func sweep(now: ContinuousClock.Instant) {
        let (sendingSince, idleSince, expiresAt, retry) = state.withLock { state in
            (state.sendingSince, state.idleSince, state.subscriptions.values.compactMap(\.expiresAt).min(),
             state.hasQueued && state.scheduleWrite())
        }
        if retry { eventLoop.execute { self.writeQueued() } }
        if let sendingSince, now - sendingSince > configuration.slowConsumerTimeout {
            close(.policyViolation, "slow consumer: a result waited more than \(configuration.slowConsumerTimeout) to be read", force: true)
        } else if let idleSince, now - idleSince > configuration.idleTimeout {
            close(.normalClosure, "idle: no subscription for \(configuration.idleTimeout)")
        } else if let expiresAt, expiresAt <= service.clock.now() {
            close(.policyViolation, "the credential has expired; connect again")
        }
    }

    /// Something a credential may do changed (a revocation, a new role, a sign-out): every
    /// subscription proves itself again, moving to the evaluation its principal now shares, or
    /// ending with an error; a credential no longer valid closes the connection.
    func credentialsChanged() {
        let start = state.withLock { state -> Bool in
            if state.revalidating { state.revalidateAgain = true; return false }
            state.revalidating = true
            return true
        }
        guard start else { return }
        Task {
            repeat { await revalidate() } while state.withLock { state in
                state.revalidating = state.revalidateAgain
                state.revalidateAgain = false
                return state.revalidating
            }
        }
    }

    private func revalidate() async {
        let subscriptions = state.withLock { $0.closed ? [:] : $0.subscriptions }
        for (id, subscription) in subscriptions {
            do {
                let scope = try await resolve(groupId: subscription.groupId)
                let key = EvaluationKey(subscription.query, scope)
                guard key != subscription.key else { continue }
                let token = await hub.makeToken()
                let moved = Subscription(
                    query: subscription.query, groupId: subscription.groupId, key: key, token: token,
                    expiresAt: scope.principal.expiresAt)
                guard state.withLock({ state in
                    guard state.subscriptions[id]?.token == subscription.token else { return false }
                    state.subscriptions[id] = moved
                    state.dropResult(id)
                    return true
                }) else { continue }
                await hub.unsubscribe(token: subscription.token, from: subscription.key)
                await hub.subscribe(Subscriber(connection: self, id: id, token: token), to: key, in: scope)
            } catch let error as OneError where error.code == .unauthenticated {
                return close(.policyViolation, error.message)
            } catch {
                guard state.withLock({ $0.removeSubscription(id, token: subscription.token) }) != nil else { continue }
                send(error: error, id: id)
                await hub.unsubscribe(token: subscription.token, from: subscription.key)
            }
        }
    }

    /// Sends a close frame with `reason`, then stops sending. With `force`, the socket is shut
    /// two seconds later whatever the client does: a client that does not read cannot receive
    /// the close frame either.
    func close(_ code: WebSocketErrorCode, _ reason: String, force: Bool = false) {
        let first = state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        logger.info("closing a realtime connection", metadata: ["reason": "\(reason)"])
        let (outbound, channel) = (self.outbound, self.channel)
        Task {
            try? await outbound.close(code, reason: String(reason.utf8.prefix(120)) ?? "closed")
            if force {
                try? await Task.sleep(for: .seconds(2))
                try? await channel.close()
            }
        }
    }

    /// The subscriptions to end when the socket goes.
    var openSubscriptions: [(token: UInt64, key: EvaluationKey)] {
        state.withLock { state in
            state.closed = true
            return state.subscriptions.values.map { ($0.token, $0.key) }
        }
    }
}
