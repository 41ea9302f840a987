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
        var workers = 0
    }

    private let miniLM: MiniLM
    private let cores: Int
    private let queue = Mutex(Queue())
    private let threads = DispatchQueue(label: "one.embedder", qos: .userInitiated, attributes: .concurrent)

    /// Loads the model from a directory holding `model.safetensors` and `vocab.txt`.
    public init(directory: URL, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        miniLM = try MiniLM(directory: directory)
        cores = max(1, threads)
    }

    /// Whether `directory` holds the model's files (not whether they are intact).
    public static func weightsPresent(in directory: URL) -> Bool {
        ["model.safetensors", "vocab.txt"].allSatisfy {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
        }
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
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

    /// Takes waiting jobs, up to a batch's worth of texts (at least one job), embeds them in one
    /// call and answers each; stops when none wait.
    private func work() {
        while true {
            let jobs: [Job] = queue.withLock { queue in
                var taken = 0
                var count = 0
                while taken < queue.jobs.count, taken == 0 || count + queue.jobs[taken].texts.count <= Self.maxBatch {
                    count += queue.jobs[taken].texts.count
                    taken += 1
                }
                let jobs = Array(queue.jobs.prefix(taken))
                queue.jobs.removeFirst(taken)
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
