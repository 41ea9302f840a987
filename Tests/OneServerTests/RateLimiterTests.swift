import OneCore
import Testing

@testable import OneServer

@Suite("Rate limiter")
struct RateLimiterTests {
    @Test("a key spends its burst, then is refused with the seconds until a token is back")
    func burstThenRefusal() {
        let limiter = RateLimiter()
        let limit = RateLimit(requests: 60, burst: 3)
        for _ in 0..<3 { #expect(limiter.spend("k", limit).retryAfter == nil) }
        #expect(limiter.spend("k", limit).retryAfter == 1)
    }

    @Test("the table of buckets stays bounded: full buckets are dropped, busy ones kept")
    func bounded() {
        let limiter = RateLimiter(capacity: 100)
        let generous = RateLimit(requests: 6_000_000, burst: 10)
        // Buckets that refill at once are full again by the next spend and may be dropped.
        for index in 0..<1_000 { _ = limiter.spend("k\(index)", generous).retryAfter }
        #expect(limiter.count <= 100)
        // A bucket still spent survives a clean-up: its key stays throttled.
        let strict = RateLimit(requests: 1, burst: 1)
        _ = limiter.spend("busy", strict).retryAfter
        for index in 0..<200 { _ = limiter.spend("again\(index)", generous).retryAfter }
        #expect(limiter.spend("busy", strict).retryAfter != nil)
    }
}
