import Synchronization

/// How a node learns that the change log advanced: every write committed through a
/// ``OneService`` raises it with the newest sequence it appended, and the realtime hub waits on
/// it. Carries no events: the event log is the truth, so a subscriber that misses a wake-up
/// reads what it missed from the store.
public final class CommitSignal: Sendable {
    private let wakeUps: AsyncStream<Int64>
    private let continuation: AsyncStream<Int64>.Continuation
    private let newest = Atomic<Int64>(0)

    public init() {
        (wakeUps, continuation) = AsyncStream.makeStream(of: Int64.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Records that the log now reaches `sequence`; never blocks the writer.
    public func raise(to sequence: Int64) {
        newest.max(sequence, ordering: .releasing)
        continuation.yield(sequence)
    }

    /// The newest sequence written through this node: a read of the log that starts now sees
    /// every write made here up to it.
    public var latest: Int64 { newest.load(ordering: .acquiring) }

    /// The wake-ups, newest only: one consumer (the hub) at a time.
    public var stream: AsyncStream<Int64> { wakeUps }
}

/// Carries wake-ups between the nodes that share one store (PostgreSQL's LISTEN/NOTIFY), so a
/// subscriber on one node hears of writes made through another. A lost announcement only
/// delays a push: the hub also polls the log.
public protocol ChangeAnnouncer: Sendable {
    /// Tells the other nodes the log reached `sequence`. Coalesced; never blocks the caller.
    func announce(_ sequence: Int64)
    /// The sequences other nodes announced.
    func announcements() -> AsyncStream<Int64>
}

/// One event as the change log's followers see it: its position, its group and what it
/// touched. Reading these rather than whole events spares decoding every change's contents.
public struct ChangeLogEntry: Sendable, Equatable {
    public var sequence: Int64
    public var groupId: String
    public var type: String
    public var targetId: String?

    public init(sequence: Int64, groupId: String, type: String, targetId: String?) {
        self.sequence = sequence
        self.groupId = groupId
        self.type = type
        self.targetId = targetId
    }
}
