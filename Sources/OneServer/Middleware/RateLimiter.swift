import HTTPTypes
import OneCore
import Synchronization

/// Per-key token buckets: each key may spend `burst` requests at once and earns
/// `requests` per minute back. Held in memory, per server node, and bounded: a bucket that has
/// refilled is the same as none, so full buckets are dropped once the table reaches `capacity`
/// (and all of them if too few are full: a fresh start rather than unbounded growth).
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedAt: ContinuousClock.Instant
        var burst: Double
        var perSecond: Double

        /// Whether the bucket has refilled by `now`, so forgetting it changes nothing.
        func isFull(at now: ContinuousClock.Instant) -> Bool {
            tokens + (now - updatedAt).seconds * perSecond >= burst
        }
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock = ContinuousClock()
    private let capacity: Int

    init(capacity: Int = 100_000) { self.capacity = capacity }

    /// How many buckets are held.
    var count: Int { buckets.withLock { $0.count } }

    /// Spends one token for `keyId`; on refusal, the whole seconds until a token is back.
    func admit(keyId: String, limit: RateLimit) -> Int? {
        spend(keyId, limit).retryAfter
    }

    /// What a bucket holds after a request: for the `X-RateLimit-*` headers.
    struct Outcome {
        var limit: Int
        var remaining: Int
        /// Seconds until the bucket is full again.
        var reset: Int
        /// Seconds until a token is back, when this request was refused.
        var retryAfter: Int?

        var headers: HTTPFields {
            var fields: HTTPFields = [
                .rateLimitLimit: String(limit), .rateLimitRemaining: String(remaining), .rateLimitReset: String(reset),
            ]
            if let retryAfter { fields[.retryAfter] = String(retryAfter) }
            return fields
        }
    }

    /// Spends one token for `keyId` if there is one.
    func spend(_ keyId: String, _ limit: RateLimit) -> Outcome {
        let now = clock.now
        let perSecond = Double(limit.requests) / 60
        return buckets.withLock { buckets in
            if buckets[keyId] == nil { buckets.makeRoom(capacity: capacity) { $0.isFull(at: now) } }
            var bucket = buckets[keyId]
                ?? Bucket(tokens: Double(limit.burst), updatedAt: now, burst: Double(limit.burst), perSecond: perSecond)
            bucket.tokens = min(Double(limit.burst), bucket.tokens + (now - bucket.updatedAt).seconds * perSecond)
            bucket.updatedAt = now
            bucket.burst = Double(limit.burst)
            bucket.perSecond = perSecond
            defer { buckets[keyId] = bucket }
            var retryAfter: Int?
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
            } else {
                retryAfter = max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
            }
            let reset = Int(((Double(limit.burst) - bucket.tokens) / perSecond).rounded(.up))
            return Outcome(limit: limit.requests, remaining: Int(bucket.tokens), reset: reset, retryAfter: retryAfter)
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension HTTPField.Name {
    static let rateLimitLimit = HTTPField.Name("X-RateLimit-Limit")!
    static let rateLimitRemaining = HTTPField.Name("X-RateLimit-Remaining")!
    static let rateLimitReset = HTTPField.Name("X-RateLimit-Reset")!
}
