import Foundation
import HTTPTypes
import OneAuth
import OneCore
import Testing

/// Sign-in with Google and GitHub against a local server speaking their wire format.
@Suite("OAuth")
struct OAuthTests {
    struct Started {
        let state: String
        let challenge: String
    }

    static func start(_ server: TestServer, _ provider: String) async throws -> Started {
        let reply = try await server.api.request(.get, "/api/auth/oauth/\(provider)/start", key: nil)
        #expect(reply.status == .found)
        let location = try #require(reply.headers[.location])
        let items = try #require(URLComponents(string: location)?.queryItems)
        func item(_ name: String) -> String? { items.first { $0.name == name }?.value }
        #expect(item("code_challenge_method") == "S256")
        #expect(item("client_id") == FakeOAuthProvider.clientId)
        #expect(item("response_type") == "code")
        #expect(item("redirect_uri") == "http://127.0.0.1:8080/api/auth/oauth/\(provider)/callback")
        #expect(!location.contains(FakeOAuthProvider.clientSecret))
        return Started(state: try #require(item("state")), challenge: try #require(item("code_challenge")))
    }

    static func callback(_ server: TestServer, _ provider: String, code: String, state: String, json: Bool = true) async throws -> Reply {
        try await server.api.request(
            .get, "/api/auth/oauth/\(provider)/callback?code=\(code)&state=\(state)", key: nil,
            headers: json ? [.accept: "application/json"] : [:])
    }

    @Test("Google: PKCE and single-use state; a new account, verified; a second sign-in finds it", arguments: TestStore.available)
    func google(store: TestStore) async throws {
        let provider = FakeOAuthProvider()
        try await provider.run { providers in
            try await TestServer.run(store, auth: TestServer.authConfiguration(providers: providers)) { server in
                let profile: JSONValue = ["sub": "g-1", "email": "Olga@Example.com", "email_verified": true, "name": "Olga"]
                let started = try await Self.start(server, "google")
                let code = await provider.authorize(challenge: started.challenge, profile: profile)
                let reply = try await Self.callback(server, "google", code: code, state: started.state)
                let body = try reply.expect(.ok)
                #expect(body.objectValue?["user"]?.objectValue?["email"] == "olga@example.com")
                #expect(body.objectValue?["user"]?.objectValue?["emailVerified"] == .bool(true))
                #expect(reply.headers[.setCookie]?.contains("one_session=sst_") == true)
                let userId = body.objectValue?["user"]?.objectValue?["_id"]
                // The state is single-use.
                let replay = try await Self.callback(server, "google", code: code, state: started.state)
                #expect(replay.status == .badRequest && replay.code == "INVALID_TOKEN")
                #expect(try await Self.callback(server, "google", code: code, state: "made-up").code == "INVALID_TOKEN")
                // A second sign-in with the same Google account finds the same identity; without
                // Accept: application/json the browser is sent home with the cookie.
                let again = try await Self.start(server, "google")
                let code2 = await provider.authorize(challenge: again.challenge, profile: profile)
                let browser = try await Self.callback(server, "google", code: code2, state: again.state, json: false)
                #expect(browser.status == .found && browser.headers[.location] == "http://127.0.0.1:8080/")
                #expect(browser.headers[.setCookie]?.contains("one_session=sst_") == true)
                let third = try await Self.start(server, "google")
                let code3 = await provider.authorize(challenge: third.challenge, profile: profile)
                let same = try await Self.callback(server, "google", code: code3, state: third.state).expect(.ok)
                #expect(same.objectValue?["user"]?.objectValue?["_id"] == userId)
                // The verifier went to the token endpoint; the secret never to the browser.
                let forms = await provider.tokenRequests
                #expect(forms.allSatisfy { ($0["code_verifier"]?.count ?? 0) >= 43 })
            }
        }
    }

    @Test("a wrong PKCE verifier or a refused code signs nobody in")
    func badVerifier() async throws {
        let provider = FakeOAuthProvider()
        try await provider.run { providers in
            try await TestServer.run(auth: TestServer.authConfiguration(providers: providers)) { server in
                let started = try await Self.start(server, "google")
                // The code is bound to another challenge, as if the start had been hijacked.
                let code = await provider.authorize(challenge: "not-the-challenge", profile: ["sub": "x", "email": "x@example.com", "email_verified": true])
                let reply = try await Self.callback(server, "google", code: code, state: started.state)
                #expect(reply.status == .unauthorized)
                #expect(reply.headers[.setCookie] == nil)
                #expect(try await server.store.identity(email: "x@example.com") == nil)
            }
        }
    }

    @Test("GitHub: links to an existing account by verified email, refuses an unverified one", arguments: TestStore.available)
    func githubLinking(store: TestStore) async throws {
        let provider = FakeOAuthProvider()
        try await provider.run { providers in
            try await TestServer.run(store, auth: TestServer.authConfiguration(providers: providers)) { server in
                let existing = try await server.signUp("lin@example.com")
                let started = try await Self.start(server, "github")
                let code = await provider.authorize(
                    challenge: started.challenge, profile: ["id": 42, "login": "lin", "name": "Lin"],
                    emails: [["email": "lin@example.com", "primary": true, "verified": true]])
                let linked = try await Self.callback(server, "github", code: code, state: started.state).expect(.ok)
                #expect(linked.objectValue?["user"]?.objectValue?["_id"]?.stringValue == existing.userId)

                let attacker = try await Self.start(server, "github")
                let attackerCode = await provider.authorize(
                    challenge: attacker.challenge, profile: ["id": 666, "login": "mallory", "email": "lin@example.com"],
                    emails: [["email": "lin@example.com", "primary": true, "verified": false]])
                let refused = try await Self.callback(server, "github", code: attackerCode, state: attacker.state)
                #expect(refused.status == .conflict)
                #expect(refused.headers[.setCookie] == nil)
            }
        }
    }

    @Test("an unconfigured provider is 404, an unknown one too")
    func unconfigured() async throws {
        try await TestServer.run { server in
            let unconfigured = try await server.api.request(.get, "/api/auth/oauth/google/start", key: nil)
            let unknown = try await server.api.request(.get, "/api/auth/oauth/myspace/start", key: nil)
            #expect(unconfigured.status == .notFound && unknown.status == .notFound)
        }
    }
}
