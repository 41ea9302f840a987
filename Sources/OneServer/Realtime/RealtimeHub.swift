import Synchronization
import Logging
import NIOCore
import NIOWebSocket
import OneCore
import ServiceLifecycle

/// Runs this node's subscriptions. Follows the change log (the event table), finds through an
/// index the queries each event can affect, re-runs each affected query once however many
/// subscribe to it, and hands a result to its subscribers only when it differs from the last.
/// Also wakes the event streams (`/api/events/stream`) of the groups that changed.
///
/// Wake-ups come from commits on this node, from other nodes through the ``ChangeAnnouncer``,
/// and from a poll, so a lost wake-up only delays a push. Runs of one query are serialised and
/// each carries the log position it started at, so a subscription's results never go backwards;
/// changes that arrive while a query runs or its result is being written coalesce into one more
/// run, which waits a pause in proportion to the query's subscribers
/// (``RealtimeConfiguration/burstPausePerSubscriber``): a burst of writes costs a bounded
/// number of fan-outs, while a change after a quiet spell is pushed at once.
actor RealtimeHub: Service {
    private final class Evaluation {
        let key: EvaluationKey
        /// Tells this evaluation from a later one under the same key.
        let serial: UInt64
        let scope: Scope
        let interest: Interest
        var subscribers: [UInt64: Subscriber] = [:]
        var value: [UInt8]?
        var sequence: Int64 = 0
        var running = false
        /// Its last result is still being written to the sockets.
        var pushing = false
        var stale = false
        /// A run is due after a burst's pause; changes meanwhile fold into it.
        var paused = false

        init(key: EvaluationKey, serial: UInt64, scope: Scope) {
            self.key = key
            self.serial = serial
            self.scope = scope
            self.interest = key.query.reads(in: scope.groupId)
        }
    }

    static let maxConcurrentRuns = 8
    static let logPageSize = 256

    let service: OneService
    let configuration: RealtimeConfiguration
    private let announcer: (any ChangeAnnouncer)?
    private let logger: Logger
    private var evaluations: [EvaluationKey: Evaluation] = [:]
    private var index: [Interest: Set<EvaluationKey>] = [:]
    private var queued: [EvaluationKey] = []
    private var running = 0
    private var connections: [ObjectIdentifier: RealtimeConnection] = [:]
    private var streams: [String: [UInt64: AsyncStream<Int64>.Continuation]] = [:]
    private var nextToken: UInt64 = 0
    /// The last sequence read from the log; `nil` until the hub has started following it.
    private var processed: Int64?
    /// The newest sequence committed through this node, known without reading the log.
    private let committedHere = Atomic<Int64>(0)
    private var stopped = false

    init(service: OneService, configuration: RealtimeConfiguration, announcer: (any ChangeAnnouncer)?, logger: Logger) {
        self.service = service
        self.configuration = configuration
        self.announcer = announcer
        self.logger = logger
    }

    // MARK: Following the log

    func run() async throws {
        let (wakeUps, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await sequence in self.service.commits.stream {
                    // This task alone writes it; the hub only reads it.
                    if sequence > self.committedHere.load(ordering: .relaxed) { self.committedHere.store(sequence, ordering: .releasing) }
                    self.announcer?.announce(sequence)
                    wake.yield()
                }
            }
            if let announcer {
                group.addTask { for await _ in announcer.announcements() { wake.yield() } }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: self.configuration.pollInterval)
                    wake.yield()
                    await self.sweep()
                }
            }
            group.addTask {
                await self.start()
                for await _ in wakeUps { await self.catchUp() }
            }
            try? await gracefulShutdown()
            await stop()
            group.cancelAll()
        }
    }

    /// Starts following the log from its current end: what came before is in every initial result.
    private func start() async {
        while processed == nil, !Task.isCancelled {
            do {
                processed = try await service.store.lastSequence()
            } catch {
                logger.error("realtime cannot read the change log; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: configuration.pollInterval)
            }
        }
    }

    /// Reads the log past what was processed and re-runs every query an event can affect.
    private func catchUp() async {
        // Nothing listens and no other node writes: skip the log rather than read it after
        // every write. A subscriber arriving later starts from the state its first run reads.
        if announcer == nil, evaluations.isEmpty, streams.isEmpty, connections.isEmpty, let after = processed {
            processed = max(after, committedHere.load(ordering: .acquiring))
            return
        }
        while let after = processed {
            let events: [ChangeLogEntry]
            do {
                events = try await service.store.changeLog(after: after, limit: Self.logPageSize)
            } catch {
                logger.warning("realtime could not read the change log", metadata: ["error": "\(error)"])
                return
            }
            guard let last = events.last else { return }
            var affected: Set<EvaluationKey> = []
            var credentialsChanged = false
            for event in events {
                if service.forgetCredentials(touchedBy: event) { credentialsChanged = true }
                for interest in Interest.touched(by: event) { affected.formUnion(index[interest] ?? []) }
                if let listeners = streams[event.groupId] {
                    for listener in listeners.values { listener.yield(event.sequence) }
                }
            }
            processed = last.sequence
            for key in affected { if let evaluation = evaluations[key] { schedule(evaluation) } }
            if credentialsChanged { for connection in connections.values { connection.credentialsChanged() } }
            if events.count < Self.logPageSize { return }
        }
    }

    // MARK: Evaluations

    /// Asks for a run of `evaluation`: now if a slot is free, after the current run if one is
    /// under way (changes meanwhile coalesce into that one more run).
    private func schedule(_ evaluation: Evaluation) {
        if evaluation.running || evaluation.pushing {
            evaluation.stale = true
        } else if evaluation.paused {
            return
        } else if !queued.contains(evaluation.key) {
            queued.append(evaluation.key)
            pump()
        }
    }

    private func pump() {
        while running < Self.maxConcurrentRuns, !queued.isEmpty {
            let key = queued.removeFirst()
            guard let evaluation = evaluations[key], !evaluation.running else { continue }
            evaluation.running = true
            running += 1
            let (scope, sequence, service) = (evaluation.scope, processed ?? 0, service)
            Task {
                let outcome = await Self.evaluate(key.query, in: scope, service: service)
                self.finish(evaluation, outcome, sequence: sequence)
            }
        }
    }

    private nonisolated static func evaluate(
        _ query: RealtimeQuery, in scope: Scope, service: OneService
    ) async -> Result<[UInt8], OneError> {
        do {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(1024)
            try await query.run(service, in: scope).write(into: &bytes)
            return .success(bytes)
        } catch let error as OneError {
            return .failure(error)
        } catch {
            return .failure(OneError(.unavailable, "the query could not be run now; it runs again after the next change"))
        }
    }

    private func finish(_ evaluation: Evaluation, _ outcome: Result<[UInt8], OneError>, sequence: Int64) {
        running -= 1
        defer { pump() }
        // A run of an evaluation since removed (its last subscriber left) says nothing of a
        // new one under the same key.
        let key = evaluation.key
        guard evaluations[key] === evaluation else { return }
        evaluation.running = false
        switch outcome {
        case .success(let value):
            evaluation.sequence = max(evaluation.sequence, sequence)
            if value != evaluation.value {
                evaluation.value = value
                evaluation.pushing = true
                let serial = evaluation.serial
                Self.fanOut(value, sequence: sequence, to: evaluation.subscribers.values) {
                    Task { await self.pushed(key, serial: serial) }
                }
                return
            }
        case .failure(let error):
            for subscriber in evaluation.subscribers.values { subscriber.connection.fail(subscriber, error) }
            // A query the principal may not run, or about a record that is not there, ends its
            // subscriptions; one that failed for want of the database is tried again later.
            if error.code != .unavailable || evaluation.value == nil {
                remove(evaluation)
                return
            }
        }
        settle(evaluation)
    }

    /// A result has been written to every subscriber's socket.
    private func pushed(_ key: EvaluationKey, serial: UInt64) {
        guard let evaluation = evaluations[key], evaluation.serial == serial else { return }
        evaluation.pushing = false
        settle(evaluation)
    }

    /// After a run and its push: if changes came meanwhile (a burst), runs once more after a
    /// pause that bounds how often a fan-out this wide happens.
    private func settle(_ evaluation: Evaluation) {
        let key = evaluation.key
        if evaluation.stale {
            evaluation.stale = false
            evaluation.paused = true
            let pause = configuration.burstPause(subscribers: evaluation.subscribers.count)
            Task {
                try? await Task.sleep(for: pause)
                self.resume(key)
            }
        }
    }

    /// Queues a result for every subscriber, then has each event loop write its connections'
    /// queues in one task: a hop per loop, not per socket. Subscribers that named their
    /// subscriptions alike share one frame. `written` is called once every loop has written.
    private static func fanOut(
        _ value: [UInt8], sequence: Int64, to subscribers: some Collection<Subscriber>, written: @escaping @Sendable () -> Void
    ) {
        var frames: [String: ByteBuffer] = [:]
        var due: [ObjectIdentifier: (loop: any EventLoop, connections: [RealtimeConnection])] = [:]
        for subscriber in subscribers {
            let frame: ByteBuffer
            if let shared = frames[subscriber.id] {
                frame = shared
            } else {
                frame = ServerMessage.resultFrame(id: subscriber.id, sequence: sequence, value: value)
                frames[subscriber.id] = frame
            }
            guard subscriber.connection.enqueue(subscriber, frame: frame) else { continue }
            let loop = subscriber.connection.eventLoop
            due[ObjectIdentifier(loop), default: (loop, [])].connections.append(subscriber.connection)
        }
        guard !due.isEmpty else { return written() }
        let remaining = Countdown(due.count)
        for (loop, connections) in due.values {
            loop.execute {
                for connection in connections { connection.writeQueued() }
                if remaining.finishOne() { written() }
            }
        }
    }

    /// Counts the loops of a fan-out still writing.
    private final class Countdown: Sendable {
        private let remaining: Atomic<Int>
        init(_ count: Int) { remaining = Atomic(count) }
        /// Whether this was the last.
        func finishOne() -> Bool { remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 }
    }

    private func resume(_ key: EvaluationKey) {
        guard let evaluation = evaluations[key], evaluation.paused else { return }
        evaluation.paused = false
        schedule(evaluation)
    }

    private func remove(_ evaluation: Evaluation) {
        evaluations[evaluation.key] = nil
        index[evaluation.interest]?.remove(evaluation.key)
        if index[evaluation.interest]?.isEmpty == true { index[evaluation.interest] = nil }
        for subscriber in evaluation.subscribers.values { subscriber.connection.forget(subscriber) }
    }

    // MARK: Subscribers

    /// A token for a new subscription.
    func makeToken() -> UInt64 {
        nextToken += 1
        return nextToken
    }

    /// Adds a subscriber to the evaluation its key names, starting one if none runs yet. A
    /// subscriber joining a running evaluation gets its current result at once.
    func subscribe(_ subscriber: Subscriber, to key: EvaluationKey, in scope: Scope) {
        guard !stopped else { return }
        let evaluation: Evaluation
        if let existing = evaluations[key] {
            evaluation = existing
        } else {
            nextToken += 1
            evaluation = Evaluation(key: key, serial: nextToken, scope: scope)
            evaluations[key] = evaluation
            index[evaluation.interest, default: []].insert(key)
            schedule(evaluation)
        }
        evaluation.subscribers[subscriber.token] = subscriber
        if let value = evaluation.value {
            subscriber.connection.deliver(subscriber, sequence: evaluation.sequence, value: value)
        }
    }

    func unsubscribe(token: UInt64, from key: EvaluationKey) {
        guard let evaluation = evaluations[key] else { return }
        evaluation.subscribers[token] = nil
        if evaluation.subscribers.isEmpty { remove(evaluation) }
    }

    func register(_ connection: RealtimeConnection) -> Bool {
        guard !stopped else { return false }
        connections[ObjectIdentifier(connection)] = connection
        return true
    }

    func unregister(_ connection: RealtimeConnection, subscriptions: [(token: UInt64, key: EvaluationKey)]) {
        connections[ObjectIdentifier(connection)] = nil
        for (token, key) in subscriptions { unsubscribe(token: token, from: key) }
    }

    /// Closes the connections that are idle, too slow or no longer authorised.
    private func sweep() {
        let now = ContinuousClock.now
        for connection in connections.values { connection.sweep(now: now) }
    }

    /// Sends every connection a close frame and waits (at most the close timeout) for the
    /// frames to be written.
    private func stop() async {
        stopped = true
        let closing = connections.values.compactMap { $0.close(.goingAway, "the server is shutting down") }
        for continuation in streams.values.flatMap(\.values) { continuation.finish() }
        streams = [:]
        guard let first = closing.first else { return }
        try? await EventLoopFuture.andAllComplete(closing, on: first.eventLoop).get()
    }

    // MARK: Event streams

    /// Wake-ups for an event stream of `groupId`: the newest sequence seen, whenever events of
    /// that group are committed. `nil` once the server is shutting down.
    func listen(groupId: String) -> (id: UInt64, wakeUps: AsyncStream<Int64>)? {
        guard !stopped else { return nil }
        let (stream, continuation) = AsyncStream.makeStream(of: Int64.self, bufferingPolicy: .bufferingNewest(1))
        nextToken += 1
        streams[groupId, default: [:]][nextToken] = continuation
        return (nextToken, stream)
    }

    func stopListening(groupId: String, id: UInt64) {
        streams[groupId]?[id]?.finish()
        streams[groupId]?[id] = nil
        if streams[groupId]?.isEmpty == true { streams[groupId] = nil }
    }
}
