import Logging
import OneCore
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Wakes the realtime hubs of every node sharing one database: `NOTIFY one_changes, '<sequence>'`
/// after this node commits, and `LISTEN one_changes` for the others'. Notifications are only a
/// wake-up, the event table stays the truth: a hub that misses one reads the log when the next
/// arrives or when it polls.
///
/// Runs as a `Service` beside the store: one pooled connection stays in LISTEN (re-established
/// after a failure), and announcements are coalesced so a burst of commits costs one NOTIFY.
public final class PostgresChangeChannel: ChangeAnnouncer, Service {
    static let channel = "one_changes"

    private let client: PostgresClient
    private let logger: Logger
    private let pending: AsyncStream<Int64>
    private let pendingContinuation: AsyncStream<Int64>.Continuation
    private let heard: AsyncStream<Int64>
    private let heardContinuation: AsyncStream<Int64>.Continuation

    public init(store: PostgresStore) {
        self.client = store.client
        self.logger = store.logger
        (pending, pendingContinuation) = AsyncStream.makeStream(of: Int64.self, bufferingPolicy: .bufferingNewest(1))
        (heard, heardContinuation) = AsyncStream.makeStream(of: Int64.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func announce(_ sequence: Int64) {
        pendingContinuation.yield(sequence)
    }

    public func announcements() -> AsyncStream<Int64> { heard }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.listen() }
            group.addTask { await self.notify() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        heardContinuation.finish()
    }

    /// Sends the newest pending announcement, one at a time.
    private func notify() async {
        for await sequence in pending {
            do {
                try await client.query("SELECT pg_notify(\(Self.channel), \(String(sequence)))", logger: logger)
            } catch {
                logger.warning("could not announce a commit to other nodes", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Holds a connection in LISTEN until cancelled, reconnecting after failures.
    private func listen() async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: Self.channel) { notifications in
                        for try await notification in notifications {
                            if let sequence = Int64(notification.payload) { heardContinuation.yield(sequence) }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("lost the change channel; listening again", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
