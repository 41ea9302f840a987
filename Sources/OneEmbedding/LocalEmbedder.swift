import Dispatch
import Foundation
import OneCore

/// The local MiniLM model as the server's ``Embedder``. The forward pass is CPU work of some
/// milliseconds a text, so it runs on its own threads, never on an event loop or the Swift
/// concurrency pool; a large batch is split across the cores.
public final class LocalEmbedder: Embedder {
    public let model = MiniLM.modelID
    public let dimensions = MiniLM.dimensions
    private let miniLM: MiniLM
    private let queue = DispatchQueue(label: "one.embedder", qos: .userInitiated, attributes: .concurrent)
    private let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Loads the model from a directory holding `model.safetensors` and `vocab.txt`.
    public init(directory: URL) throws {
        miniLM = try MiniLM(directory: directory)
    }

    /// Whether `directory` holds the model's files (not whether they are intact).
    public static func weightsPresent(in directory: URL) -> Bool {
        ["model.safetensors", "vocab.txt"].allSatisfy {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
        }
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        let miniLM = miniLM
        let slices = texts.count >= 2 * cores ? cores : 1
        return await withCheckedContinuation { continuation in
            queue.async {
                guard slices > 1 else { return continuation.resume(returning: miniLM.embed(texts)) }
                let size = (texts.count + slices - 1) / slices
                let parts = Parts(count: slices)
                DispatchQueue.concurrentPerform(iterations: slices) { slice in
                    let range = (slice * size)..<min(texts.count, (slice + 1) * size)
                    parts.set(slice, range.isEmpty ? [] : miniLM.embed(Array(texts[range])))
                }
                continuation.resume(returning: parts.joined)
            }
        }
    }
}

/// The slices of a split batch, each written by one thread at its own index.
private final class Parts: @unchecked Sendable {
    private var vectors: [[[Float]]]
    private let lock = NSLock()

    init(count: Int) { vectors = Array(repeating: [], count: count) }

    func set(_ index: Int, _ part: [[Float]]) {
        lock.withLock { vectors[index] = part }
    }

    var joined: [[Float]] { lock.withLock { vectors.flatMap { $0 } } }
}
