import Synchronization

/// Credentials (API keys, sessions) recently looked up, by secret digest, so a request costs a
/// dictionary probe rather than a query. Entries live `lifetime` milliseconds and at most
/// `capacity` are kept. A change that must take effect at once (a revocation, a new role, a
/// sign-out) evicts entries, and a lookup that read the store before it cannot put its stale
/// answer back: each eviction moves a generation on, and a lookup stores its answer only if the
/// generation it started in holds.
final class CredentialCache<Value: Sendable>: Sendable {
    private struct State {
        var entries: [String: (value: Value, cachedAt: Timestamp)] = [:]
        var generation: UInt64 = 0
    }

    static var capacity: Int { 10_000 }
    private let lifetime: Timestamp
    private let state = Mutex(State())

    init(lifetime: Timestamp) { self.lifetime = lifetime }

    /// The cached value, or `nil` and the generation to pass to ``store(_:hash:now:generation:)``.
    func lookup(hash: String, now: Timestamp) -> (Value?, generation: UInt64) {
        state.withLock { state in
            guard let entry = state.entries[hash], now - entry.cachedAt < lifetime else { return (nil, state.generation) }
            return (entry.value, state.generation)
        }
    }

    func store(_ value: Value, hash: String, now: Timestamp, generation: UInt64) {
        guard lifetime > 0 else { return }
        state.withLock { state in
            guard state.generation == generation else { return }
            state.entries.makeRoom(capacity: Self.capacity) { now - $0.cachedAt >= lifetime }
            state.entries[hash] = (value, now)
        }
    }

    /// The value for `hash`: the cached one while it lives, else what `load` reads, kept unless
    /// an eviction happened while it was read.
    func value(hash: String, clock: Clock, load: () async throws -> Value?) async rethrows -> Value? {
        let (cached, generation) = lookup(hash: hash, now: clock.now())
        if let cached { return cached }
        guard let loaded = try await load() else { return nil }
        store(loaded, hash: hash, now: clock.now(), generation: generation)
        return loaded
    }

    /// Forgets the entries `matching` returns true for.
    func evict(where matching: (Value) -> Bool) {
        state.withLock { state in
            state.generation &+= 1
            state.entries = state.entries.filter { !matching($0.value.value) }
        }
    }

    var count: Int { state.withLock { $0.entries.count } }
}
