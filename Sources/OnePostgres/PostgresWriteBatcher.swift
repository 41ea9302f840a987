import Logging
import OneCore
import PostgresNIO
import Synchronization

/// Group commit for PostgreSQL: writes that arrive together share one transaction, one event
/// append and one WAL flush.
///
/// The event counter's row lock orders sequences by commit, so it must be held until COMMIT
/// returns; with one write per transaction that would cap a whole cluster at one flush per
/// write. Here a batch runs its writes one after another, then adds up their usage counter
/// changes and appends all their events, one statement each, and commits. Several batches run
/// at once on separate connections and meet only at those last statements (and at the usage
/// rows of groups with limits, which a write locks when it checks them).
///
/// A batch first runs optimistically, without savepoints. If any write fails, the batch is
/// rolled back and run again with each write in its own savepoint, so the failure rolls back
/// alone: nothing a failed write did is ever committed, and the common all-succeed case pays no
/// savepoint round trips. A batch that loses a deadlock or serialization race is run again.
/// This is sound because writes are pure functions of what they read.
final class PostgresWriteBatcher: Sendable {
    /// What a job's work produced, with the events it staged; or its error.
    typealias Outcome = Result<(value: any Sendable, events: [Event]), any Error>

    struct Job: Sendable {
        let work: @Sendable (PostgresTransaction) async throws -> any Sendable
        let complete: @Sendable (Outcome) -> Void
    }

    /// What a batch hands its last statements: the usage changes and the events of its
    /// successful writes, in order, and the bounds their usage changes were admitted within.
    struct Tail: Sendable {
        var usage: [String: GroupUsage] = [:]
        var bounds: [String: UsageBound] = [:]
        var drafts: [EventDraft] = []
    }

    private struct State {
        var pending: [Job] = []
        var running = 0
    }

    private let client: PostgresClient
    private let logger: Logger
    private let finish: @Sendable (Tail, PostgresConnection) async throws -> [Event]
    private let state = Mutex(State())
    private let maxBatch = 256
    private let maxConcurrentBatches = 4
    private let maxAttempts = 4

    /// - Parameter finish: the batch's last statements: applies the usage changes and appends
    ///   the events, returning them as stored.
    init(
        client: PostgresClient, logger: Logger,
        finish: @escaping @Sendable (Tail, PostgresConnection) async throws -> [Event]
    ) {
        self.client = client
        self.logger = logger
        self.finish = finish
    }

    /// Runs `work` in the next batch; returns its value and its events once the batch commits.
    func write<T: Sendable>(_ work: @escaping @Sendable (PostgresTransaction) async throws -> T) async throws -> (T, [Event]) {
        let (value, events) = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(any Sendable, [Event]), any Error>) in
            let job = Job(work: { try await work($0) }, complete: { continuation.resume(with: $0.map { ($0.value, $0.events) }) })
            let startDrainer = state.withLock { state in
                state.pending.append(job)
                guard state.running < maxConcurrentBatches else { return false }
                state.running += 1
                return true
            }
            if startDrainer { Task { await self.drain() } }
        }
        return (value as! T, events)
    }

    private func drain() async {
        while true {
            let jobs: [Job] = state.withLock { state in
                let batch = Array(state.pending.prefix(maxBatch))
                state.pending.removeFirst(batch.count)
                if batch.isEmpty { state.running -= 1 }
                return batch
            }
            if jobs.isEmpty { return }
            await run(jobs, attempt: 1)
        }
    }

    private func run(_ jobs: [Job], attempt: Int, isolated: Bool = false) async {
        do {
            let outcomes = try await client.withConnection { connection in
                try await runTransaction(jobs, isolated: isolated, on: connection)
            }
            for (job, outcome) in zip(jobs, outcomes) { job.complete(outcome) }
        } catch is OptimismFailed {
            await run(jobs, attempt: attempt, isolated: true)
        } catch let error as PSQLError where Self.isRetryable(error) && attempt < maxAttempts {
            logger.debug("retrying a write batch", metadata: ["sqlState": "\(error.serverInfo?[.sqlState] ?? "")"])
            await run(jobs, attempt: attempt + 1)
        } catch {
            for job in jobs { job.complete(.failure(error)) }
        }
    }

    /// A write failed in an optimistic batch, or its usage passed a bound once added up: run
    /// the batch again with savepoints and locked usage checks.
    struct OptimismFailed: Error {}

    /// One transaction: the jobs (each in a savepoint when `isolated`), the usage changes and
    /// events they staged, COMMIT.
    private func runTransaction(_ jobs: [Job], isolated: Bool, on connection: PostgresConnection) async throws -> [Outcome] {
        try await connection.query("BEGIN", logger: logger)
        do {
            var results: [Result<(any Sendable, [EventDraft]), any Error>] = []
            var tail = Tail()
            for job in jobs {
                if isolated { try await connection.query("SAVEPOINT job", logger: logger) }
                let transaction = PostgresTransaction(connection: connection, logger: logger, locking: isolated, staged: tail)
                do {
                    let value = try await job.work(transaction)
                    if isolated { try await connection.query("RELEASE SAVEPOINT job", logger: logger) }
                    let drafts = Array(transaction.staged.drafts.dropFirst(tail.drafts.count))
                    tail = transaction.staged
                    results.append(.success((value, drafts)))
                } catch let error as PSQLError where Self.isRetryable(error) || error.serverInfo == nil {
                    throw error  // the whole batch is in doubt
                } catch {
                    if !isolated {
                        // A lone write needs no second run (unless it was refused without locks):
                        // roll it back and report its error.
                        guard jobs.count == 1, !transaction.refusedOptimistically else { throw OptimismFailed() }
                        try await connection.query("ROLLBACK", logger: logger)
                        return [.failure(error)]
                    }
                    try await connection.query("ROLLBACK TO SAVEPOINT job", logger: logger)
                    try await connection.query("RELEASE SAVEPOINT job", logger: logger)
                    results.append(.failure(error))
                }
            }
            var events = try await finish(tail, connection)[...]
            try await connection.query("COMMIT", logger: logger)
            return results.map { result in
                result.map { value, drafts in
                    let mine = Array(events.prefix(drafts.count))
                    events.removeFirst(drafts.count)
                    return (value, mine)
                }
            }
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// Deadlocks and serialization failures: the batch did nothing and may simply run again.
    static func isRetryable(_ error: PSQLError) -> Bool {
        ["40P01", "40001"].contains(error.serverInfo?[.sqlState] ?? "")
    }
}
