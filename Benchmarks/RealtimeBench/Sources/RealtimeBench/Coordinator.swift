import NIOCore
import NIOHTTP1

/// What every connection needs to know.
struct Settings: Sendable {
    var host: String
    var port: Int
    var apiKey: String
    var path: String
    /// The text frame each subscriber sends once upgraded.
    var subscribeMessage: String
    /// The thing type that writes create.
    var queryType: String
    /// Largest server message accepted, in bytes.
    var maxFrameSize: Int
    /// How long a subscriber may take from connecting to its initial result.
    var readyTimeout: TimeAmount
}

struct OpenSummary: Sendable {
    var ready: Int
    var failed: Int
    var reasons: [(reason: String, count: Int)]
}

struct LatencySummary: Sendable {
    var samples: [UInt64]
    var missed: Int
    var writeErrors: Int
    var closed: Int
    var serverErrors: Int
}

struct BurstSummary: Sendable {
    var seconds: Double
    var writes: Int
    var writeErrors: Int
    var pushes: Int
}

/// All the benchmark's state, on the one event loop: subscribers report frames here, and the
/// main thread drives phases through `eventLoop.submit`/`flatSubmit`. Every method runs on
/// `eventLoop` (hence `@unchecked Sendable`).
final class Coordinator: @unchecked Sendable {
    let eventLoop: any EventLoop
    let settings: Settings

    // Opening.
    private var subscriptions: [Subscription] = []
    private var target = 0
    private var window = 200
    private var started = 0
    private var inFlight = 0
    private var readyCount = 0
    private var failedCount = 0
    private var failureReasons: [String: Int] = [:]
    private var openPromise: EventLoopPromise<OpenSummary>?
    private var openStarted: UInt64 = 0

    // Afterwards.
    /// Set before the tool closes its own connections, which are then not reported.
    private var stopping = false
    private var closedAfterReady = 0
    private var serverErrors = 0
    private var serverCloses = 0
    private var otherErrors = 0

    // Latency rounds.
    private var round = 0
    private var roundActive = false
    private var roundPromise: EventLoopPromise<Void>?
    private var roundTimeout: Scheduled<Void>?
    /// The round's POST has not answered yet: the next round must wait for it, since a
    /// connection carries one request at a time and pushes may arrive before the response.
    private var postOutstanding = false
    private var t0: UInt64 = 0
    private var pending = 0
    private var latencies: [UInt64] = []
    private var missed = 0
    private var roundWriteErrors = 0

    // Burst.
    private var counting = false
    private var pushes = 0
    private var burstRunning = false
    private var burstWrites = 0
    private var burstWriteErrors = 0
    private var burstStart: UInt64 = 0
    private var burstSummary: BurstSummary?
    private var activePosters = 0
    private var burstPromise: EventLoopPromise<BurstSummary>?

    init(eventLoop: any EventLoop, settings: Settings) {
        self.eventLoop = eventLoop
        self.settings = settings
    }

    /// Subscribers ready and still open.
    var live: Int { readyCount - closedAfterReady }

    // MARK: Opening

    /// Opens `count` subscribers, at most `window` handshaking at once; succeeds when each one
    /// either got its initial result or failed.
    func open(count: Int, window: Int) -> EventLoopFuture<OpenSummary> {
        eventLoop.assertInEventLoop()
        let promise = eventLoop.makePromise(of: OpenSummary.self)
        openPromise = promise
        target = count
        self.window = max(1, window)
        subscriptions.reserveCapacity(count)
        openStarted = monotonicNanos()
        fill()
        return promise.futureResult
    }

    /// Set while `fill` runs: a connection that fails at once re-enters it through
    /// `subscriptionFailed`, and the running loop picks that up instead.
    private var filling = false

    private func fill() {
        guard !filling else { return }
        filling = true
        while inFlight < window && started < target {
            let subscription = Subscription(index: started, coordinator: self)
            subscriptions.append(subscription)
            started += 1
            inFlight += 1
            subscription.readyTimer = eventLoop.scheduleTask(in: settings.readyTimeout) { [self] in
                subscriptionFailed(subscription, reason: "no initial result within \(settings.readyTimeout.nanoseconds / 1_000_000_000) s")
            }
            connectSubscription(subscription, group: eventLoop, settings: settings)
        }
        filling = false
        if readyCount + failedCount == target, let promise = openPromise {
            openPromise = nil
            let reasons = failureReasons.sorted { $0.value > $1.value }.map { (reason: $0.key, count: $0.value) }
            promise.succeed(OpenSummary(ready: readyCount, failed: failedCount, reasons: reasons))
        }
    }

    func subscriptionFailed(_ subscription: Subscription, reason: String) {
        guard subscription.state == .connecting else { return }
        subscription.state = .failed
        subscription.readyTimer?.cancel()
        subscription.readyTimer = nil
        inFlight -= 1
        failedCount += 1
        failureReasons[reason, default: 0] += 1
        if failedCount <= 3 { log("subscriber \(subscription.index) failed: \(reason)") }
        subscription.channel?.close(promise: nil)
        fill()
    }

    // MARK: Frames

    /// A result frame read at `now`.
    func result(_ subscription: Subscription, at now: UInt64) {
        switch subscription.state {
        case .connecting:
            subscription.state = .ready
            subscription.readyTimer?.cancel()
            subscription.readyTimer = nil
            inFlight -= 1
            readyCount += 1
            if readyCount % 1000 == 0 || readyCount == target {
                let seconds = Double(monotonicNanos() - openStarted) / 1e9
                log("\(readyCount)/\(target) subscribers ready (\(jsonNumber(seconds)) s)")
            }
            fill()
        case .ready:
            if counting { pushes += 1 }
            if roundActive && subscription.lastRound != round {
                subscription.lastRound = round
                latencies.append(now &- t0)
                pending -= 1
                if pending == 0 { finishRound() }
            }
        case .failed, .closed:
            break
        }
    }

    func serverError(_ subscription: Subscription, message: String) {
        serverErrors += 1
        if serverErrors <= 5 { log("subscriber \(subscription.index): \(message.prefix(300))") }
        if subscription.state == .connecting {
            subscriptionFailed(subscription, reason: "error message: \(message.prefix(200))")
        }
    }

    func serverClosed(_ subscription: Subscription, code: UInt16?, reason: String) {
        serverCloses += 1
        if serverCloses <= 5 {
            log("subscriber \(subscription.index): server sent close \(code.map(String.init) ?? "-") \(reason.prefix(200))")
        }
    }

    func subscriptionError(_ subscription: Subscription, error: any Error) {
        if subscription.state == .connecting {
            subscriptionFailed(subscription, reason: "\(error)")
            return
        }
        otherErrors += 1
        if otherErrors <= 5 { log("subscriber \(subscription.index): \(error)") }
    }

    func subscriptionClosed(_ subscription: Subscription) {
        switch subscription.state {
        case .connecting:
            subscriptionFailed(subscription, reason: "closed before the initial result")
        case .ready:
            subscription.state = .closed
            if stopping { return }
            closedAfterReady += 1
            if closedAfterReady <= 5 || closedAfterReady % 1000 == 0 {
                log("subscriber \(subscription.index) closed (\(closedAfterReady) closed so far)")
            }
            if roundActive && subscription.lastRound != round {
                subscription.lastRound = round
                missed += 1
                pending -= 1
                if pending == 0 { finishRound() }
            }
        case .failed, .closed:
            break
        }
    }

    /// The tool is about to close every connection itself.
    func stop() {
        stopping = true
    }

    // MARK: Latency

    /// One closed-loop write: t0, POST, then wait until every live subscriber read a result
    /// frame after t0, or `timeout` (the rest count as missed), and until the POST answered.
    func latencyRound(poster: HTTPPoster, timeout: TimeAmount) -> EventLoopFuture<Void> {
        eventLoop.assertInEventLoop()
        precondition(roundPromise == nil, "one round at a time")
        round += 1
        let thisRound = round
        let promise = eventLoop.makePromise(of: Void.self)
        pending = live
        guard pending > 0 else {
            promise.succeed(())
            return promise.futureResult
        }
        roundPromise = promise
        roundActive = true
        postOutstanding = true
        roundTimeout = eventLoop.scheduleTask(in: timeout) { [self] in
            guard roundActive && round == thisRound else { return }
            missed += pending
            finishRound()
        }
        t0 = monotonicNanos()
        poster.post().whenComplete { [self] result in
            postOutstanding = false
            var refused = true
            if case .success(let status) = result, status.code < 300 { refused = false }
            if case .failure(let error) = result { log("POST /api/things failed: \(error)") }
            if refused {
                roundWriteErrors += 1
                // Nothing will be pushed for a refused write: do not wait out the timeout.
                if roundActive && round == thisRound {
                    missed += pending
                    finishRound()
                }
            }
            completeRoundIfDone()
        }
        return promise.futureResult
    }

    /// Every subscriber answered, or the timeout passed.
    private func finishRound() {
        guard roundActive else { return }
        roundActive = false
        pending = 0
        roundTimeout?.cancel()
        roundTimeout = nil
        completeRoundIfDone()
    }

    private func completeRoundIfDone() {
        guard !roundActive && !postOutstanding, let promise = roundPromise else { return }
        roundPromise = nil
        promise.succeed(())
    }

    func reserveLatencies(_ count: Int) {
        latencies.reserveCapacity(count)
    }

    func latencySummary() -> LatencySummary {
        LatencySummary(
            samples: latencies, missed: missed, writeErrors: roundWriteErrors, closed: closedAfterReady,
            serverErrors: serverErrors)
    }

    // MARK: Burst

    /// Back-to-back writes on every poster for `duration`, counting the result frames all
    /// subscribers read meanwhile. Succeeds once the in-flight writes have answered.
    func burst(duration: TimeAmount, posters: [HTTPPoster]) -> EventLoopFuture<BurstSummary> {
        eventLoop.assertInEventLoop()
        let promise = eventLoop.makePromise(of: BurstSummary.self)
        burstPromise = promise
        pushes = 0
        burstWrites = 0
        burstWriteErrors = 0
        burstSummary = nil
        counting = true
        burstRunning = true
        activePosters = posters.count
        burstStart = monotonicNanos()
        eventLoop.scheduleTask(in: duration) { [self] in
            counting = false
            burstRunning = false
            burstSummary = BurstSummary(
                seconds: Double(monotonicNanos() - burstStart) / 1e9, writes: burstWrites,
                writeErrors: burstWriteErrors, pushes: pushes)
            if activePosters == 0 { finishBurst() }
        }
        // Do not hang on a server that stopped answering.
        eventLoop.scheduleTask(in: duration + .seconds(10)) { [self] in
            if burstPromise != nil {
                log("burst: \(activePosters) writes still unanswered 10 s after the end")
                finishBurst()
            }
        }
        for poster in posters { nextBurstWrite(poster) }
        return promise.futureResult
    }

    private func nextBurstWrite(_ poster: HTTPPoster) {
        guard burstRunning else {
            activePosters -= 1
            if activePosters == 0 && burstSummary != nil { finishBurst() }
            return
        }
        poster.post().whenComplete { [self] result in
            var ok = false
            if case .success(let status) = result, status.code < 300 { ok = true }
            if case .failure(let error) = result, burstWriteErrors < 3 { log("burst POST failed: \(error)") }
            if burstRunning {
                if ok { burstWrites += 1 } else { burstWriteErrors += 1 }
            }
            if ok {
                nextBurstWrite(poster)
            } else {
                // Do not spin on a refusing server.
                eventLoop.scheduleTask(in: .milliseconds(10)) { [self] in nextBurstWrite(poster) }
            }
        }
    }

    private func finishBurst() {
        guard let promise = burstPromise, let summary = burstSummary else { return }
        burstPromise = nil
        promise.succeed(summary)
    }
}
