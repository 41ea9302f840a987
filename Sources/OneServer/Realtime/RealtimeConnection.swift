import Logging
import NIOCore
import NIOWebSocket
import OneCore
import Synchronization

/// One client's WebSocket: its subscriptions, the client's messages waiting to be handled, and
/// the messages waiting to be written to it.
///
/// Nothing runs for a connection while it is quiet: its socket is read by a
/// ``RealtimeSocketHandler``, the client's messages are handled in order by a task that lives
/// only while some wait, and messages are written straight to the channel on its event loop:
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

    struct State {
        var subscriptions: [String: Subscription] = [:]
        /// Whole frames not yet written. Results by subscription ID, in the order they first waited.
        var results: [String: ByteBuffer] = [:]
        var resultOrder: [String] = []
        /// Errors and acknowledgements, written before results, in order.
        var control: [ByteBuffer] = []
        var sendingSince: ContinuousClock.Instant?
        /// Whether a write of the queue is already due on the event loop.
        var writeScheduled = false
        var idleSince: ContinuousClock.Instant?
        /// A revalidation waits in the inbox: another change of credentials needs no second one.
        var revalidationQueued = false
        /// Whether a close frame has been sent or received: nothing more is written.
        var closed = false
        /// The client's messages not yet handled, and whether a task is handling them.
        var inbox: [Work] = []
        var working = false
        /// Whether the socket is not being read until the inbox drains.
        var readPaused = false
        /// When the last heartbeat ping went, and whether its pong is still awaited.
        var pingedAt: ContinuousClock.Instant
        var awaitingPong = false

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
    /// The caller as proved at the upgrade, whose rate limits each message is charged to.
    private let caller: Principal
    let channel: any Channel
    /// Writes whole frames beneath the WebSocket encoder.
    let writer: NIOLoopBound<RawFrameWriter>
    let logger: Logger
    let state: Mutex<State>

    init(
        credential: CredentialDigest, groupId: String?, hub: RealtimeHub, rateLimiter: RateLimiter, caller: Principal,
        channel: any Channel, writer: RawFrameWriter, logger: Logger
    ) {
        self.credential = credential
        self.groupId = groupId
        self.hub = hub
        self.rateLimiter = rateLimiter
        self.caller = caller
        self.channel = channel
        self.writer = NIOLoopBound(writer, eventLoop: channel.eventLoop)
        self.logger = logger
        let now = ContinuousClock.now
        self.state = Mutex(State(idleSince: now, pingedAt: now))
    }

    /// The event loop the socket is served on: where its writes happen.
    var eventLoop: any EventLoop { channel.eventLoop }

    /// Error messages that may wait on a socket that is not being read before it is closed.
    static let maxUnreadErrors = 100

    /// Client messages that may wait to be handled before the socket stops being read.
    static let maxWaitingMessages = 32

    var service: OneService { hub.service }
    var configuration: RealtimeConfiguration { hub.configuration }

    // MARK: The client's messages, in order

    /// What the connection's task does next.
    enum Work {
        case register
        case message(String)
        case revalidate
        case unregister
    }

    /// Registers the connection with the hub, before any message of the client is handled.
    func open() {
        post(.register)
    }

    /// Queues a text message from the client. Returns `false` when so many wait that the socket
    /// should not be read until they are handled (it is read again once they are).
    func post(_ text: String) -> Bool {
        post(.message(text))
    }

    /// The socket closed: the connection's subscriptions end after its waiting messages.
    func ended() {
        state.withLock { $0.closed = true }
        post(.unregister)
    }

    @discardableResult
    private func post(_ work: Work) -> Bool {
        let (start, keepReading) = state.withLock { state in
            if case .revalidate = work {
                guard !state.revalidationQueued else { return (false, !state.readPaused) }
                state.revalidationQueued = true
            }
            state.inbox.append(work)
            let start = !state.working
            state.working = true
            if state.inbox.count >= Self.maxWaitingMessages { state.readPaused = true }
            return (start, !state.readPaused)
        }
        if start { Task { await drain() } }
        return keepReading
    }

    /// Handles waiting messages one at a time until none is left, then reads the socket again
    /// if it had stopped.
    private func drain() async {
        while let work = nextWork() {
            switch work {
            case .register:
                if await !hub.register(self) { close(.goingAway, "the server is shutting down") }
            case .message(let text):
                await receive(text)
            case .revalidate:
                state.withLock { $0.revalidationQueued = false }
                await revalidate()
            case .unregister:
                let subscriptions = state.withLock { $0.subscriptions.values.map { ($0.token, $0.key) } }
                await hub.unregister(self, subscriptions: subscriptions)
            }
        }
    }

    private func nextWork() -> Work? {
        let (work, resumeReading) = state.withLock { state -> (Work?, Bool) in
            guard !state.inbox.isEmpty else {
                state.working = false
                defer { state.readPaused = false }
                return (nil, state.readPaused)
            }
            return (state.inbox.removeFirst(), false)
        }
        if resumeReading {
            eventLoop.execute {
                if !self.state.withLock({ $0.readPaused }) {
                    self.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
                }
            }
        }
        return work
    }

    // MARK: Messages from the client

    /// Handles one text message: a subscribe or an unsubscribe. Every message costs one
    /// request of the caller's rate limit and of its group's `requestsPerMinute`, charged
    /// before it is read, so malformed and refused ones are not free.
    func receive(_ text: String) async {
        do {
            if let refused = try await rateLimiter.charge(caller, service: service).error { return send(error: refused, id: nil) }
        } catch {
            return send(error: error, id: nil)
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

    /// Something a credential may do changed (a revocation, a new role, a sign-out): every
    /// subscription proves itself again, moving to the evaluation its principal now shares, or
    /// ending with an error; a credential no longer valid closes the connection. It runs in turn
    /// with the client's messages, so it never races a subscribe, an unsubscribe or the close.
    func credentialsChanged() {
        post(.revalidate)
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
                close(.policyViolation, error.message)
                return
            } catch {
                guard state.withLock({ $0.removeSubscription(id, token: subscription.token) }) != nil else { continue }
                send(error: error, id: id)
                await hub.unsubscribe(token: subscription.token, from: subscription.key)
            }
        }
    }
}
