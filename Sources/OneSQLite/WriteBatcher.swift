import GRDB
import OneCore
import Synchronization

/// Group commit: writes that arrive while a transaction is running wait and then share the next
/// one, so many concurrent writes pay for one `fsync` and one hop to the writer queue.
///
/// Each write runs in its own savepoint, so one that fails rolls back alone; its caller hears
/// the outcome only after the shared commit, which is what makes a success durable.
final class WriteBatcher: Sendable {
    /// Reports a job's own outcome once its transaction has committed.
    private typealias Completion = @Sendable () -> Void

    private struct Job: Sendable {
        /// Runs the work inside the open transaction.
        let run: @Sendable (Database) -> Completion
        /// Reports that the transaction failed, whatever the work did.
        let fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var pending: [Job] = []
        var draining = false
    }

    private let writer: DatabasePool
    private let state = Mutex(State())
    /// The most writes one transaction takes, so one batch cannot hold the writer for long.
    private let maxBatch = 512

    init(writer: DatabasePool) {
        self.writer = writer
    }

    /// Runs `work` in the next shared transaction and returns its result once that commits.
    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let run: @Sendable (Database) -> Completion = { db in
                let result: Result<T, any Error>
                do {
                    nonisolated(unsafe) var value: T?
                    try db.inSavepoint {
                        value = try work(db)
                        return .commit
                    }
                    result = .success(value!)
                } catch {
                    result = .failure(error)
                }
                return { continuation.resume(with: result) }
            }
            let job = Job(run: run, fail: { continuation.resume(throwing: $0) })
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
            let completions: [Completion]
            do {
                completions = try await writer.writeWithoutTransaction { db -> [Completion] in
                    try db.beginTransaction(.immediate)
                    var completions: [Completion] = []
                    for job in jobs {
                        completions.append(job.run(db))
                        // Some errors (I/O, disk full) make SQLite roll back the whole transaction;
                        // later savepoints would then commit on their own. Fail the batch instead.
                        guard db.isInsideTransaction else {
                            throw OneError(.unavailable, "the database rolled back a write batch")
                        }
                    }
                    do {
                        try db.commit()
                    } catch {
                        try? db.rollback()
                        throw error
                    }
                    return completions
                }
            } catch {
                // The transaction did not commit, so no job's work survived.
                for job in jobs { job.fail(error) }
                continue
            }
            for complete in completions { complete() }
        }
    }
}
