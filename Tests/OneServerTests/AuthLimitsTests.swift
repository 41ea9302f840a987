import Foundation
import HTTPTypes
import HummingbirdTesting
import OneAuth
import OneCore
import Synchronization
import Testing

/// Rate limits (per key, per session, per group, per client address, per account), the origin
/// check for cookie-authenticated writes, CORS and security headers, and invitations.
@Suite("Auth limits, browsers and invitations")
struct AuthLimitsTests {
    static let limitHeaders: [HTTPField.Name] = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"].map { HTTPField.Name($0)! }

    @Test("429 with Retry-After past a key's burst; headers on every authenticated answer; buckets are per key")
    func perKey() async throws {
        try await TestServer.run { server in
            let tenant = try await server.makeTenant()
            let tight = try await server.makeKey(in: tenant.groupId, role: .groupUser, extra: ["rateLimit": ["requests": 1, "burst": 2]])
            let other = try await server.makeKey(in: tenant.groupId, role: .groupUser, extra: ["rateLimit": ["requests": 1, "burst": 2]])
            let first = try await server.api.get("/api/things", key: tight.key)
            #expect(first.status == .ok)
            #expect(Self.limitHeaders.allSatisfy { first.headers[$0] != nil })
            #expect(first.headers[Self.limitHeaders[0]] == "1" && first.headers[Self.limitHeaders[1]] == "1")
            let missing = try await server.api.get("/api/things/thg_00000000000000000000000000", key: tight.key)
            #expect(missing.status == .notFound && missing.headers[Self.limitHeaders[1]] == "0", "errors carry the headers too")
            let refused = try await server.api.get("/api/things", key: tight.key)
            #expect(refused.status == .tooManyRequests && refused.code == "RATE_LIMITED")
            #expect(Int(refused.headers[.retryAfter] ?? "") ?? 0 >= 1)
            try await server.api.get("/api/things", key: other.key).expect(.ok)
        }
    }

    @Test("a group's requestsPerMinute holds across all its keys and sessions")
    func perGroup() async throws {
        try await TestServer.run { server in
            let tenant = try await server.makeTenant(settings: ["limits": ["requestsPerMinute": 3], "joinPolicy": "open"])
            let second = try await server.makeKey(in: tenant.groupId, role: .groupUser)
            let member = try await server.signUp("g@example.com", groupId: tenant.groupId)
            try await server.api.get("/api/things", key: tenant.key).expect(.ok)
            try await server.api.get("/api/things", key: second.key).expect(.ok)
            try await server.asAccount(member, .get, "/api/things").expect(.ok)
            let refused = try await server.api.get("/api/things", key: second.key)
            #expect(refused.status == .tooManyRequests && refused.headers[.retryAfter] != nil)
            #expect(try await server.asAccount(member, .get, "/api/things").status == .tooManyRequests)
            let elsewhere = try await server.makeTenant()
            try await server.api.get("/api/things", key: elsewhere.key).expect(.ok)
            let zero = try await server.api.patch(
                "/api/groups/\(elsewhere.groupId)", key: server.platform.key, body: ["settings": ["limits": ["requestsPerMinute": 0]]])
            #expect(zero.status == .badRequest && zero["field"] == "settings.limits.requestsPerMinute")
        }
    }

    @Test("realtime upgrades and messages spend the group's requestsPerMinute like requests do")
    func perGroupRealtime() async throws {
        try await TestServer.run { server in
            let tenant = try await server.makeTenant(settings: ["limits": ["requestsPerMinute": 4]])
            let second = try await server.makeKey(in: tenant.groupId, role: .groupUser)
            // One request for the upgrade, one for each of two subscriptions: three of four.
            let client = RealtimeClient.connect(server, key: second.key)
            client.subscribe("a", "things.list")
            #expect(try await client.next()["type"] == "result")
            client.subscribe("b", "people.list")
            #expect(try await client.next()["type"] == "result")
            try await server.api.get("/api/things", key: tenant.key).expect(.ok)
            // The group's minute is spent: a message is refused on the socket, which stays open.
            client.subscribe("c", "things.list")
            let refused = try await client.next()
            #expect(refused["type"] == "error" && refused["code"] == "RATE_LIMITED", "\(refused)")
            #expect(try await server.api.get("/api/things", key: tenant.key).status == .tooManyRequests)
            let upgrade = RealtimeClient.connect(server, key: tenant.key)
            let answer = try await upgrade.next()
            #expect(answer["code"] == "RATE_LIMITED", "\(answer)")
            // Another group's budget is its own.
            let elsewhere = try await server.makeTenant()
            let theirs = RealtimeClient.connect(server, key: elsewhere.key)
            theirs.subscribe("a", "things.list")
            #expect(try await theirs.next()["type"] == "result")
        }
    }

    @Test("repeated failed sign-ins slow one email down, then lock it, whether or not it has an account")
    func lockout() async throws {
        let time = ManualTime()
        try await TestServer.run(clock: OneCore.Clock { time.now }) { server in
            _ = try await server.signUp("lock@example.com")
            for email in ["lock@example.com", "ghost@example.com"] {
                for _ in 0..<3 {
                    #expect(try await server.signIn(email, password: "wrong password").status == .unauthorized)
                }
                let slowed = try await server.signIn(email, password: "wrong password")
                #expect(slowed.status == .tooManyRequests && slowed.headers[.retryAfter] == "1", "\(email)")
                // Even the right password waits: the throttle answers before checking anything.
                #expect(try await server.signIn(email).status == .tooManyRequests)
                time.advance(by: 1_000)
                #expect(try await server.signIn(email, password: "wrong password").status == .unauthorized)
                let longer = try await server.signIn(email, password: "wrong password")
                #expect(longer.headers[.retryAfter] == "2", "the wait doubles")
                // Ten failures lock the email for fifteen minutes.
                for wait: Timestamp in [2_000, 4_000, 8_000, 16_000, 32_000, 64_000] {
                    time.advance(by: wait)
                    #expect(try await server.signIn(email, password: "wrong password").status == .unauthorized)
                }
                time.advance(by: 128_000)
                let locked = try await server.signIn(email)
                #expect(locked.status == .tooManyRequests && locked.headers[.retryAfter] == "772", "\(email)")
                time.advance(by: 15 * 60 * 1000)
            }
            try await server.signIn("lock@example.com").expect(.ok)
            // Another account is not affected.
            _ = try await server.signUp("free@example.com")
            try await server.signIn("free@example.com").expect(.ok)
            #expect(SignInThrottleFacts.delays == [0, 0, 0, 1_000, 2_000, 4_000])
        }
    }

    @Test("one client address gets a bounded number of auth writes")
    func perAddress() async throws {
        try await TestServer.run(addressLimit: RateLimit(requests: 1, burst: 3)) { server in
            for index in 0..<3 {
                try await server.api.request(.post, "/api/auth/magic-link", key: nil, body: ["email": .string("a\(index)@example.com")]).expect(.ok)
            }
            let refused = try await server.api.request(.post, "/api/auth/signin", key: nil, body: ["email": "a@example.com", "password": "whatever pass"])
            #expect(refused.status == .tooManyRequests && refused.headers[.retryAfter] != nil)
        }
    }

    @Test("cookie-authenticated writes need a trusted Origin; bearer and keys do not")
    func originCheck() async throws {
        try await TestServer.run(auth: TestServer.authConfiguration(trustedOrigins: ["https://app.example.com"])) { server in
            let tenant = try await server.makeTenant(settings: ["joinPolicy": "open"])
            let member = try await server.signUp("c@example.com", groupId: tenant.groupId)
            let cookie: HTTPFields = [.cookie: "one_session=\(member.token)"]
            let body: JSONValue = ["type": "lesson", "name": "l"]
            try await server.expectUnchanged(tenant.groupId) {
                let none = try await server.api.request(.post, "/api/things", key: nil, body: body, headers: cookie)
                #expect(none.status == .forbidden)
                var evil = cookie
                evil[.origin] = "https://evil.example"
                #expect(try await server.api.request(.post, "/api/things", key: nil, body: body, headers: evil).status == .forbidden)
            }
            var trusted = cookie
            trusted[.origin] = "https://app.example.com"
            try await server.api.request(.post, "/api/things", key: nil, body: body, headers: trusted).expect(.created)
            try await server.api.request(.get, "/api/things", key: nil, headers: cookie).expect(.ok)
            try await server.asAccount(member, .post, "/api/things", body: body).expect(.created)
            // Signing in from a foreign page is refused too (login forgery).
            var foreign: HTTPFields = [:]
            foreign[.origin] = "https://evil.example"
            #expect(try await server.signIn("c@example.com", headers: foreign).status == .forbidden)
        }
    }

    @Test("CORS only for configured origins; security headers on every response")
    func browserHeaders() async throws {
        try await TestServer.run(auth: TestServer.authConfiguration(trustedOrigins: ["https://app.example.com"])) { server in
            var preflight: HTTPFields = [.origin: "https://app.example.com"]
            preflight[.accessControlRequestMethod] = "POST"
            // Preflights are the browser's protocol, not the API's: sent past the contract check.
            let allowed = try await server.api.client.executeRequest(uri: "/api/things", method: .options, headers: preflight, body: nil)
            #expect(allowed.status == .noContent)
            #expect(allowed.headers[.accessControlAllowOrigin] == "https://app.example.com")
            #expect(allowed.headers[.accessControlAllowCredentials] == "true")
            preflight[.origin] = "https://evil.example"
            let refused = try await server.api.client.executeRequest(uri: "/api/things", method: .options, headers: preflight, body: nil)
            #expect(refused.headers[.accessControlAllowOrigin] == nil)
            let health = try await server.api.request(.get, "/health", key: nil)
            #expect(health.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(health.headers[.contentSecurityPolicy] == "frame-ancestors 'none'")
            #expect(health.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(health.headers[.strictTransportSecurity] == nil, "no HSTS over plain http")
        }
        try await TestServer.run(auth: TestServer.authConfiguration(publicURL: "https://api.example.com")) { server in
            let health = try await server.api.request(.get, "/health", key: nil)
            #expect(health.headers[.strictTransportSecurity]?.hasPrefix("max-age=") == true)
            let signup = try await server.api.request(.post, "/api/auth/signup", key: nil, body: ["email": "s@example.com", "password": "correct horse battery"])
            #expect(signup.headers[.setCookie]?.contains("Secure") == true)
        }
    }

    @Test("invitations: invited people have no access until they accept; the link is single-use", arguments: TestStore.available)
    func invitations(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let tenant = try await server.makeTenant()
            let invited = try await server.api.post("/api/people", key: tenant.key, body: ["email": "inv@example.com", "role": "group_user"]).expect(.created)
            #expect(invited.objectValue?["status"] == "invited")
            let personId = try #require(invited.objectValue?["_id"]?.stringValue)
            let token = try await server.mailedToken(to: "inv@example.com", subject: "invited")

            // Signed up some other way, the invitee is not yet a member.
            let account = try await server.signUp("inv@example.com")
            #expect(try await server.asAccount(account, .get, "/api/things").status == .forbidden)
            let accepted = try await server.asAccount(account, .post, "/api/auth/invitations/accept", body: ["token": .string(token)]).expect(.ok)
            #expect(accepted.objectValue?["_id"]?.stringValue == personId && accepted.objectValue?["status"] == "active")
            try await server.asAccount(account, .get, "/api/things").expect(.ok)
            let reused = try await server.asAccount(account, .post, "/api/auth/invitations/accept", body: ["token": .string(token)])
            #expect(reused.code == "INVALID_TOKEN")
            let events = try await server.store.events(EventQuery(groupId: tenant.groupId, type: "user_joined_group"), page: PageRequest(limit: 10)).items
            #expect(events.map(\.targetId) == [personId])

            // Signing up through the link joins at once and counts the email as verified.
            try await server.api.post("/api/people", key: tenant.key, body: ["email": "link@example.com", "role": "customer"]).expect(.created)
            let linkToken = try await server.mailedToken(to: "link@example.com", subject: "invited")
            let wrongEmail = try await server.api.request(
                .post, "/api/auth/signup", key: nil, body: ["email": "other@example.com", "password": "correct horse battery", "invitation": .string(linkToken)])
            #expect(wrongEmail.code == "INVALID_TOKEN")
            #expect(try await server.store.identity(email: "other@example.com") == nil)
            let joined = try await server.api.request(
                .post, "/api/auth/signup", key: nil, body: ["email": "link@example.com", "password": "correct horse battery", "invitation": .string(linkToken)]
            ).expect(.created)
            #expect(joined.objectValue?["user"]?.objectValue?["emailVerified"] == .bool(true))
        }
    }
}

/// A clock that moves only when told.
final class ManualTime: Sendable {
    private let value = Mutex<Timestamp>(Timestamp(Date().timeIntervalSince1970 * 1000))
    var now: Timestamp { value.withLock { $0 } }
    func advance(by milliseconds: Timestamp) { value.withLock { $0 += milliseconds } }
}

/// The throttle's schedule, read through its one public fact.
enum SignInThrottleFacts {
    static var delays: [Timestamp] { (0..<6).map { AuthService.signInDelay(afterFailures: $0) } }
}
