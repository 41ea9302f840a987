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

extension RateLimiter {
    /// A request charged to its caller's own limit, then to the `requestsPerMinute` of the
    /// caller's group when the group sets one.
    struct Charge {
        /// The caller's own bucket, for the `X-RateLimit-*` headers.
        var own: Outcome
        /// The bucket that refused the request, with the reason; `nil` when it was admitted.
        var refusal: (bucket: Outcome, message: String)?

        /// The refusal as an error, for answers that are not HTTP responses.
        var error: OneError? {
            refusal.map { OneError(.rateLimited, $0.message, retryAfter: $0.bucket.retryAfter) }
        }
    }

    /// Charges one request of `principal`: the same for an HTTP request, a realtime upgrade and
    /// each realtime message, so no way in escapes either limit.
    func charge(_ principal: Principal, service: OneService) async throws -> Charge {
        let own = spend(principal.credentialId, principal.rateLimit)
        if let retryAfter = own.retryAfter {
            let message = "rate limit of \(principal.rateLimit.requests) requests per minute exceeded; retry in \(retryAfter) s"
            return Charge(own: own, refusal: (own, message))
        }
        if let perMinute = try await service.requestLimit(ofGroup: principal.groupId) {
            let group = spend("group:" + principal.groupId, RateLimit(requests: perMinute, burst: perMinute))
            if let retryAfter = group.retryAfter {
                let message = "the group's limit of \(perMinute) requests per minute is spent; retry in \(retryAfter) s"
                return Charge(own: own, refusal: (group, message))
            }
        }
        return Charge(own: own)
    }
}
