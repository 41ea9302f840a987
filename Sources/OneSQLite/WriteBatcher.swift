import GRDB
import OneCore
import Synchronization

/// Group commit: writes that arrive while a transaction is running wait and then share the next
/// one, so many concurrent writes pay for one `fsync`.
///
/// One task drains the queue. It opens a transaction on the writer connection, runs each write's
/// domain closure in a savepoint of its own (so one that fails rolls back alone), adds up the
/// usage changes of those that succeeded (one update per group, however many writes touched
/// it), commits, and only then tells each caller its outcome, which is what makes a success
/// durable. The closures
/// are asynchronous, so the transaction stays open across the writer calls their primitives
/// make; nothing else writes meanwhile, because every write goes through here.
final class WriteBatcher: Sendable {
    /// Reports a job's own outcome once its transaction has committed.
    private typealias Completion = @Sendable () -> Void

    private struct Job: Sendable {
        /// Runs the work inside the open transaction: whether it succeeded, and how to report it.
        let run: @Sendable (SQLiteTransaction) async -> (succeeded: Bool, report: Completion)
        /// Reports that the transaction failed, whatever the work did.
        let fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var pending: [Job] = []
        var draining = false
    }

    private let writer: DatabasePool
    private let ids: IDGenerator
    private let clock: OneCore.Clock
    private let state = Mutex(State())
    /// Used by the draining task alone.
    private let tree = GroupTreeCache()
    /// The most writes one transaction takes, so one batch cannot hold the writer for long.
    private let maxBatch = 512

    init(writer: DatabasePool, ids: IDGenerator, clock: OneCore.Clock) {
        self.writer = writer
        self.ids = ids
        self.clock = clock
    }

    /// Runs `work` in the next shared transaction and returns its result, with the events it
    /// appended, once that commits.
    func write<T: Sendable>(_ work: @escaping @Sendable (SQLiteTransaction) async throws -> T) async throws -> Committed<T> {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Committed<T>, any Error>) in
            let job = Job(
                run: { transaction in
                    do {
                        let value = try await work(transaction)
                        let committed = Committed(value: value, events: transaction.events)
                        return (true, { continuation.resume(returning: committed) })
                    } catch {
                        return (false, { continuation.resume(throwing: error) })
                    }
                },
                fail: { continuation.resume(throwing: $0) })
            let startDrain = state.withLock { state in
                state.pending.append(job)
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            if startDrain { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let jobs: [Job] = state.withLock { state in
                let batch = Array(state.pending.prefix(maxBatch))
                state.pending.removeFirst(batch.count)
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if jobs.isEmpty { return }
            do {
                let reports = try await run(jobs)
                tree.batchEnded()
                for report in reports { report() }
            } catch {
                // The transaction did not commit, so no job's work survived.
                try? onWriter { db in if db.isInsideTransaction { try db.rollback() } }
                tree.batchEnded()
                for job in jobs { job.fail(error) }
            }
        }
    }

    /// One transaction: each job in its savepoint, the usage changes of those that succeeded,
    /// then COMMIT. Throws when the transaction as a whole failed.
    private func run(_ jobs: [Job]) async throws -> [Completion] {
        try onWriter { db in try db.beginTransaction(.immediate) }
        var reports: [Completion] = []
        var stagedUsage: [String: GroupUsage] = [:]
        var storedUsage: [String: GroupUsage] = [:]
        for job in jobs {
            try onWriter { db in try db.execute(sql: "SAVEPOINT job") }
            let transaction = SQLiteTransaction(
                writer: writer, ids: ids, clock: clock, tree: tree, stagedUsage: stagedUsage, storedUsage: storedUsage)
            let (succeeded, report) = await job.run(transaction)
            storedUsage = transaction.storedUsage
            if succeeded { stagedUsage = transaction.stagedUsage }
            try onWriter { db in
                // Some errors (I/O, disk full) make SQLite roll back the whole transaction;
                // later savepoints would then commit on their own. Fail the batch instead.
                guard db.isInsideTransaction else {
                    throw OneError(.unavailable, "the database rolled back a write batch")
                }
                if !succeeded { try db.execute(sql: "ROLLBACK TO SAVEPOINT job") }
                try db.execute(sql: "RELEASE SAVEPOINT job")
            }
            reports.append(report)
        }
        try onWriter { db in
            try SQLiteTransaction.apply(stagedUsage, db)
            try db.commit()
        }
        return reports
    }

    /// Runs `work` on the writer connection synchronously: microseconds, cheaper than a hop.
    private func onWriter<T>(_ work: (Database) throws -> T) throws -> T {
        try writer.writeWithoutTransaction(work)
    }
}
