import OneCore
import Synchronization

/// Per-key token buckets: each key may spend `burst` requests at once and earns
/// `requests` per minute back. Held in memory, per server node.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedAt: ContinuousClock.Instant
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock = ContinuousClock()

    /// Spends one token for `keyId`; on refusal, the whole seconds until a token is back.
    func admit(keyId: String, limit: RateLimit) -> Int? {
        let now = clock.now
        let perSecond = Double(limit.requests) / 60
        return buckets.withLock { buckets in
            var bucket = buckets[keyId] ?? Bucket(tokens: Double(limit.burst), updatedAt: now)
            let elapsed = now - bucket.updatedAt
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(Double(limit.burst), bucket.tokens + seconds * perSecond)
            bucket.updatedAt = now
            defer { buckets[keyId] = bucket }
            guard bucket.tokens >= 1 else {
                return max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
            }
            bucket.tokens -= 1
            return nil
        }
    }
}
