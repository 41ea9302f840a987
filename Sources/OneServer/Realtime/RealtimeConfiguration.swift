/// How realtime connections are kept: heartbeats, limits and the pace of the change log.
public struct RealtimeConfiguration: Sendable {
    /// How often the server pings each WebSocket; a peer that has not answered the previous
    /// ping by the next is closed.
    public var heartbeat: Duration
    /// How long a WebSocket may stay open with no subscription before it is closed.
    public var idleTimeout: Duration
    /// The most subscriptions one WebSocket may hold.
    public var maxSubscriptions: Int
    /// How long a send may wait on a client that is not reading before it is closed, so a slow
    /// consumer holds at most one pending result per subscription and never slows the others.
    public var slowConsumerTimeout: Duration
    /// How often the change log is read even without a wake-up: the bound on how late a push
    /// may be when a notification from another node is lost.
    public var pollInterval: Duration
    /// How long a ticket from `POST /api/realtime/ticket` may wait before it is used.
    public var ticketLifetime: Duration
    /// Under a burst of changes (more arrived while a query ran), the pause before the query
    /// runs again, per subscriber it pushes to: a result going to 1,000 sockets waits 200 ms
    /// at the default (100 sockets 20 ms), so pushes take a bounded share of the machine and
    /// writers keep theirs. A change after a quiet spell is pushed at once.
    public var burstPausePerSubscriber: Duration

    public init(
        heartbeat: Duration = .seconds(30), idleTimeout: Duration = .seconds(300), maxSubscriptions: Int = 100,
        slowConsumerTimeout: Duration = .seconds(10), pollInterval: Duration = .seconds(1),
        ticketLifetime: Duration = .seconds(30), burstPausePerSubscriber: Duration = .microseconds(200)
    ) {
        self.heartbeat = heartbeat
        self.idleTimeout = idleTimeout
        self.maxSubscriptions = maxSubscriptions
        self.slowConsumerTimeout = slowConsumerTimeout
        self.pollInterval = pollInterval
        self.ticketLifetime = ticketLifetime
        self.burstPausePerSubscriber = burstPausePerSubscriber
    }

    /// The pause before a query pushing to `subscribers` runs again during a burst; at most a second.
    func burstPause(subscribers: Int) -> Duration {
        min(burstPausePerSubscriber * subscribers, .seconds(1))
    }
}
