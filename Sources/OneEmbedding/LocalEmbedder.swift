import Dispatch
import Foundation
import OneCore
import Synchronization

/// The local MiniLM model as the server's ``Embedder``.
///
/// The forward pass is CPU work of milliseconds a text, so it runs on threads of its own, never
/// on an event loop or the Swift concurrency pool, at most one per core. Requests that arrive
/// while those are busy wait and are then embedded together: the model is about twice as fast
/// per text in a batch, so a burst of single-query searches costs less per query, not more.
/// What may wait is bounded: past it a request is refused with `UNAVAILABLE` (503 and
/// `Retry-After`) rather than queued behind seconds of work, so an overload costs latency for
/// no one and memory without end for nobody.
public final class LocalEmbedder: Embedder {
    public let model = MiniLM.modelID
    public let dimensions = MiniLM.dimensions
    /// The most texts one forward call takes from the queue.
    static let maxBatch = 64

    private struct Job: Sendable {
        let texts: [String]
        let continuation: CheckedContinuation<[[Float]], Never>
    }

    private struct Queue {
        var jobs: [Job] = []
        /// The texts of `jobs`.
        var waiting = 0
        var workers = 0
    }

    private let miniLM: MiniLM
    private let cores: Int
    /// The most texts that may wait for a thread; a request is always taken when none wait.
    let maxWaiting: Int
    private let queue = Mutex(Queue())
    private let threads = DispatchQueue(label: "one.embedder", qos: .userInitiated, attributes: .concurrent)

    /// Loads the model from a directory holding `model.safetensors` and `vocab.txt`.
    ///
    /// - Parameter maxWaiting: the most texts that may wait for a thread; the default is a few
    ///   seconds of work on this kind of machine.
    public init(directory: URL, threads: Int = ProcessInfo.processInfo.activeProcessorCount, maxWaiting: Int = 4_096) throws {
        miniLM = try MiniLM(directory: directory)
        cores = max(1, threads)
        self.maxWaiting = maxWaiting
    }

    /// Texts waiting for a thread now.
    var waitingTexts: Int { queue.withLock(\.waiting) }
    /// Threads embedding now.
    var busyThreads: Int { queue.withLock(\.workers) }

    /// Whether `directory` holds the model's files (not whether they are intact).
    public static func weightsPresent(in directory: URL) -> Bool {
        ["model.safetensors", "vocab.txt"].allSatisfy {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
        }
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        // Counted as waiting from here, so concurrent callers cannot all pass the bound.
        let waiting = queue.withLock { queue -> Int? in
            guard queue.waiting == 0 || queue.waiting + texts.count <= maxWaiting else { return queue.waiting }
            queue.waiting += texts.count
            return nil
        }
        if let waiting {
            throw OneError(.unavailable, "the local embedder is busy: \(waiting) texts wait; retry in a second", retryAfter: 1)
        }
        guard texts.count >= 2 * cores else { return await enqueue(texts) }
        // A large batch (a document's chunks) is split so that every core takes a share.
        let size = (texts.count + cores - 1) / cores
        return await withTaskGroup(of: (Int, [[Float]]).self) { group in
            for start in stride(from: 0, to: texts.count, by: size) {
                let slice = Array(texts[start..<min(start + size, texts.count)])
                group.addTask { (start, await self.enqueue(slice)) }
            }
            var parts: [(Int, [[Float]])] = []
            for await part in group { parts.append(part) }
            return parts.sorted { $0.0 < $1.0 }.flatMap(\.1)
        }
    }

    /// Queues one job, whose texts `embed` counted as waiting, and waits for its vectors.
    private func enqueue(_ texts: [String]) async -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let startWorker = queue.withLock { queue in
                queue.jobs.append(Job(texts: texts, continuation: continuation))
                guard queue.workers < cores else { return false }
                queue.workers += 1
                return true
            }
            if startWorker { threads.async { self.work() } }
        }
    }

    /// Takes waiting jobs, up to its share of the waiting texts (at least one job), embeds them
    /// in one call and answers each; stops when none wait.
    private func work() {
        while true {
            let jobs: [Job] = queue.withLock { queue in
                // A fair share of what waits, so the other cores' workers get the rest.
                let waiting = queue.jobs.reduce(0) { $0 + $1.texts.count }
                let share = min(Self.maxBatch, max(1, (waiting + cores - 1) / cores))
                var taken = 0
                var count = 0
                while taken < queue.jobs.count, taken == 0 || count + queue.jobs[taken].texts.count <= share {
                    count += queue.jobs[taken].texts.count
                    taken += 1
                }
                let jobs = Array(queue.jobs.prefix(taken))
                queue.jobs.removeFirst(taken)
                queue.waiting -= count
                if jobs.isEmpty { queue.workers -= 1 }
                return jobs
            }
            guard !jobs.isEmpty else { return }
            var vectors = miniLM.embed(jobs.flatMap(\.texts))[...]
            for job in jobs {
                job.continuation.resume(returning: Array(vectors.prefix(job.texts.count)))
                vectors = vectors.dropFirst(job.texts.count)
            }
        }
    }
}
