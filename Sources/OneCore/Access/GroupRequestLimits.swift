import Synchronization

/// Each group's `requestsPerMinute`, read from the store at most once a second per group: a
/// limit raised or lowered elsewhere takes effect within that second, and no request pays a
/// query for it. Changes made through the service evict at once.
final class GroupRequestLimits: Sendable {
    static let lifetime: Timestamp = 1_000
    static let capacity = 10_000
    private let entries = Mutex<[String: (limit: Int?, readAt: Timestamp)]>([:])

    func cached(_ groupId: String, now: Timestamp) -> Int?? {
        entries.withLock { entries in
            guard let entry = entries[groupId], now - entry.readAt < Self.lifetime else { return nil }
            return .some(entry.limit)
        }
    }

    func store(_ limit: Int?, groupId: String, now: Timestamp) {
        entries.withLock { entries in
            entries.makeRoom(capacity: Self.capacity) { now - $0.readAt >= Self.lifetime }
            entries[groupId] = (limit, now)
        }
    }

    func evict(_ groupId: String) { _ = entries.withLock { $0.removeValue(forKey: groupId) } }
}
