import HTTPTypes
import OneCore
import Testing

/// What users get wrong on the auth routes: each a 400 naming the field, each writing nothing.
@Suite("Auth input")
struct AuthInputTests {
    @Test("malformed, mistyped, unknown and missing fields: 400 naming the field; no session, mail or event written")
    func badInput() async throws {
        try await TestServer.run { server in
            let account = try await server.signUp("in@example.com")
            let log = { try await server.store.events(EventQuery(groupId: account.userId), page: PageRequest(limit: 100)).items.count }
            let sessions = { try await server.store.sessions(identityId: account.userId, now: 0).count }
            let (logBefore, sessionsBefore, mailsBefore) = (try await log(), try await sessions(), try await server.store.mails(limit: 100).count)
            let cases: [(path: String, body: String, field: String?, code: String)] = [
                ("/api/auth/signin", #"{"email":"in@example.com","password":"correct horse battery","remember":true}"#, "remember", "VALIDATION_ERROR"),
                ("/api/auth/signin", #"{"email":42,"password":"correct horse battery"}"#, "email", "VALIDATION_ERROR"),
                ("/api/auth/signin", #"{"email":"in@example.com""#, nil, "INVALID_JSON"),
                ("/api/auth/signin", "", nil, "INVALID_JSON"),
                ("/api/auth/signup", #"["in@example.com"]"#, nil, "INVALID_JSON"),
                ("/api/auth/magic-link", #"{"email":"nope"}"#, "email", "VALIDATION_ERROR"),
                ("/api/auth/magic-link/verify", "{}", "token", "VALIDATION_ERROR"),
                ("/api/auth/verify-email", #"{"token":""}"#, "token", "VALIDATION_ERROR"),
                ("/api/auth/reset-password", #"{"email":"in@example.com","password":"x"}"#, "password", "VALIDATION_ERROR"),
                ("/api/auth/reset-password/confirm", #"{"password":"long enough password"}"#, "token", "VALIDATION_ERROR"),
                ("/api/auth/2fa/verify", #"{"challenge":"whatever"}"#, "code", "VALIDATION_ERROR"),
                ("/api/auth/invitations/accept", #"{"token":7}"#, "token", "VALIDATION_ERROR"),
            ]
            for item in cases {
                let reply = try await server.api.request(.post, item.path, key: nil, rawBody: item.body, headers: account.bearer)
                #expect(reply.status == .badRequest, "\(item.path) \(item.body): \(reply.text)")
                #expect(reply.code == item.code, "\(item.path) \(item.body)")
                #expect(reply["field"]?.stringValue == item.field, "\(item.path) \(item.body)")
            }
            #expect(try await log() == logBefore)
            #expect(try await sessions() == sessionsBefore)
            #expect(try await server.store.mails(limit: 100).count == mailsBefore)
        }
    }

    @Test("a password is kept and checked exactly as given, spaces included")
    func passwordSpaces() async throws {
        try await TestServer.run { server in
            _ = try await server.signUp("spaced@example.com", password: "  my long passphrase  ")
            try await server.signIn("spaced@example.com", password: "  my long passphrase  ").expect(.ok)
            #expect(try await server.signIn("spaced@example.com", password: "my long passphrase").status == .unauthorized)
        }
    }

    @Test("changing the password: needs the current one, ends every session, returns a new one", arguments: TestStore.available)
    func changePassword(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let account = try await server.signUp("pw@example.com")
            let other = try await server.signIn("pw@example.com").expect(.ok)
            let otherToken = try #require(other.objectValue?["session"]?.objectValue?["token"]?.stringValue)
            let wrong = try await server.asAccount(
                account, .post, "/api/auth/password", body: ["currentPassword": "not the one", "newPassword": "a new password"])
            #expect(wrong.status == .unauthorized)
            let short = try await server.asAccount(
                account, .post, "/api/auth/password", body: ["currentPassword": .string(TestServer.password), "newPassword": "short"])
            #expect(short.status == .badRequest && short["field"] == "newPassword")
            try await server.signIn("pw@example.com").expect(.ok)  // still the old password
            let changed = try await server.asAccount(
                account, .post, "/api/auth/password", body: ["currentPassword": .string(TestServer.password), "newPassword": "a new password"]
            ).expect(.ok)
            let fresh = Account(
                email: account.email, token: try #require(changed.objectValue?["session"]?.objectValue?["token"]?.stringValue),
                userId: account.userId)
            #expect(try await server.asAccount(account, .get, "/api/auth/session").status == .unauthorized)
            #expect(try await server.api.request(.get, "/api/auth/session", key: nil, headers: [.authorization: "Bearer \(otherToken)"]).status == .unauthorized)
            try await server.asAccount(fresh, .get, "/api/auth/session").expect(.ok)
            #expect(try await server.signIn("pw@example.com").status == .unauthorized)
            try await server.signIn("pw@example.com", password: "a new password").expect(.ok)
        }
    }

    @Test("asking for a new verification mail: a fresh link, the old one withdrawn; 409 once verified")
    func resendVerification() async throws {
        try await TestServer.run { server in
            let account = try await server.signUp("rv@example.com")
            let first = try await server.mailedToken(to: "rv@example.com", subject: "Verify")
            try await server.asAccount(account, .post, "/api/auth/verify-email/send").expect(.ok)
            let second = try await server.mailedToken(to: "rv@example.com", subject: "Verify")
            #expect(first != second)
            #expect(try await server.api.request(.post, "/api/auth/verify-email", key: nil, body: ["token": .string(first)]).code == "INVALID_TOKEN")
            try await server.api.request(.post, "/api/auth/verify-email", key: nil, body: ["token": .string(second)]).expect(.ok)
            #expect(try await server.asAccount(account, .post, "/api/auth/verify-email/send").status == .conflict)
            #expect(try await server.api.request(.post, "/api/auth/verify-email/send", key: nil).status == .unauthorized)
        }
    }
}
