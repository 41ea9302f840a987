/// Turns text into vectors whose cosine similarity tracks meaning: the port behind semantic
/// search, ingest and `/api/ai/embed`. The local MiniLM model, the lexical fallback and
/// OpenAI-compatible services implement it.
public protocol Embedder: Sendable {
    /// Names the vector space. Vectors of different models are never compared: an index
    /// records the model that built it.
    var model: String { get }
    var dimensions: Int { get }
    /// One L2-normalised vector per text, in order. May be slow (a model runs): callers keep
    /// it off the event loops, and batch.
    func embed(_ texts: [String]) async throws -> [[Float]]
}

/// A stored vector and the model that made it.
public struct Embedding: Sendable, Equatable {
    public var model: String
    public var vector: [Float]

    public init(model: String, vector: [Float]) {
        self.model = model
        self.vector = vector
    }

    /// `vector` scaled to length 1, so dot products are cosines; a zero vector as it is.
    public static func normalised(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }

    /// The vector as little-endian IEEE floats, as the stores keep it.
    public var bytes: [UInt8] {
        #if _endian(little)
        // The stored form is the machine's own: one copy.
        return vector.withUnsafeBytes { Array($0) }
        #else
        var bytes = [UInt8]()
        bytes.reserveCapacity(vector.count * 4)
        for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes
        #endif
    }

    /// Reads what ``bytes`` wrote; `nil` when the length is not a whole number of floats.
    public static func vector<Bytes: Collection<UInt8>>(from bytes: Bytes) -> [Float]? {
        guard bytes.count % 4 == 0 else { return nil }
        #if _endian(little)
        // The stored form is the machine's own: one copy.
        if let copied = bytes.withContiguousStorageIfAvailable({ raw in
            [Float](unsafeUninitializedCapacity: raw.count / 4) { floats, count in
                UnsafeMutableRawBufferPointer(floats).copyMemory(from: UnsafeRawBufferPointer(raw))
                count = raw.count / 4
            }
        }) {
            return copied
        }
        #endif
        var vector = [Float]()
        vector.reserveCapacity(bytes.count / 4)
        var iterator = bytes.makeIterator()
        while let b0 = iterator.next(), let b1 = iterator.next(), let b2 = iterator.next(), let b3 = iterator.next() {
            let bits = UInt32(b0) | UInt32(b1) << 8 | UInt32(b2) << 16 | UInt32(b3) << 24
            vector.append(Float(bitPattern: bits))
        }
        return vector
    }
}

/// Embeds off the caller's thread in batches of a bounded size, so a long document neither
/// blocks an event loop nor sends one enormous request to a provider. Every batch is checked
/// against the embedder's declared shape: one vector of `dimensions` per text, or an error,
/// never a chunk silently dropped or a vector the index cannot hold.
///
/// Only the first batch of new work may be refused by a busy embedder (`UNAVAILABLE` with a
/// retry time): later batches, and every batch of work `continuing` what earlier calls began,
/// wait and ask again, so a document is not failed part way.
extension Embedder {
    public func embed(_ texts: [String], batchSize: Int, continuing: Bool = false) async throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            try Task.checkCancellation()
            let end = min(start + batchSize, texts.count)
            let batch = try await embed(Array(texts[start..<end]), waitingWhenBusy: continuing || start > 0)
            guard batch.count == end - start, batch.allSatisfy({ $0.count == dimensions }) else {
                throw OneError(.unavailable, "the embedder \(model) did not give one vector of \(dimensions) dimensions per text")
            }
            vectors += batch
            start = end
        }
        return vectors
    }

    /// The most seconds a batch waits for a busy embedder.
    static var maxBusyWait: Int { 60 }

    private func embed(_ texts: [String], waitingWhenBusy: Bool) async throws -> [[Float]] {
        var waited = 0
        while true {
            do {
                return try await embed(texts)
            } catch let error as OneError where waitingWhenBusy && error.code == .unavailable && waited < Self.maxBusyWait {
                guard let seconds = error.retryAfter else { throw error }
                try await Task.sleep(for: .seconds(seconds))
                waited += seconds
            }
        }
    }
}
