import Synchronization

/// Sessions recently looked up, by token digest, so a session-authenticated request costs a
/// dictionary probe rather than a query. Works as ``APIKeyCache``: entries live `lifetime`
/// milliseconds, at most `capacity` are kept, and a change moves a generation on so that a
/// lookup begun before it cannot store its stale answer.
final class SessionCache: Sendable {
    private struct State {
        var entries: [String: (credential: SessionCredential, cachedAt: Timestamp)] = [:]
        var generation: UInt64 = 0
    }

    static let capacity = 10_000
    private let lifetime: Timestamp
    private let state = Mutex(State())

    init(lifetime: Timestamp) { self.lifetime = lifetime }

    func lookup(hash: String, now: Timestamp) -> (SessionCredential?, generation: UInt64) {
        state.withLock { state in
            guard let entry = state.entries[hash], now - entry.cachedAt < lifetime else { return (nil, state.generation) }
            return (entry.credential, state.generation)
        }
    }

    func store(_ credential: SessionCredential, hash: String, now: Timestamp, generation: UInt64) {
        guard lifetime > 0 else { return }
        state.withLock { state in
            guard state.generation == generation else { return }
            state.entries.makeRoom(capacity: Self.capacity) { now - $0.cachedAt >= lifetime }
            state.entries[hash] = (credential, now)
        }
    }

    /// Forgets every entry: memberships changed, and any session may act through them.
    func evictAll() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll(keepingCapacity: true)
        }
    }

    /// Forgets the sessions of one identity.
    func evict(identityId: String) {
        state.withLock { state in
            state.generation &+= 1
            state.entries = state.entries.filter { $0.value.credential.session.identityId != identityId }
        }
    }
}

/// Each group's `requestsPerMinute`, read from the store at most once per `lifetime` per group.
final class GroupRequestLimits: Sendable {
    private let entries = Mutex<[String: (limit: Int?, readAt: Timestamp)]>([:])
    private let lifetime: Timestamp
    static let capacity = 10_000

    init(lifetime: Timestamp) { self.lifetime = lifetime }

    func cached(_ groupId: String, now: Timestamp) -> Int?? {
        entries.withLock { entries in
            guard let entry = entries[groupId], now - entry.readAt < lifetime else { return nil }
            return .some(entry.limit)
        }
    }

    func store(_ limit: Int?, groupId: String, now: Timestamp) {
        entries.withLock { entries in
            entries.makeRoom(capacity: Self.capacity) { now - $0.readAt >= lifetime }
            entries[groupId] = (limit, now)
        }
    }

    func evict(_ groupId: String) { _ = entries.withLock { $0.removeValue(forKey: groupId) } }
}
