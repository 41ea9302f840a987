import Foundation
import HTTPTypes
import OneAuth
import OneCore
import Testing

/// Email and password, sessions, email verification, password reset and magic links, end to
/// end over HTTP on every store.
@Suite("Sign-in flows")
struct AuthFlowTests {
    @Test("sign up, sign in, the session, its list and revocation, sign out", arguments: TestStore.available)
    func passwordAndSessions(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let signup = try await api.request(
                .post, "/api/auth/signup", key: nil, body: ["email": "Ada@Example.com", "password": "correct horse battery", "name": "Ada"])
            let created = try signup.expect(.created)
            #expect(created.objectValue?["verificationRequired"] == .bool(false))
            #expect(created.objectValue?["user"]?.objectValue?["email"] == "ada@example.com")
            #expect(!signup.text.contains("correct horse"), "the password must never come back")
            let cookie = try #require(signup.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"))
            let first = Account(
                email: "ada@example.com", token: try #require(created.objectValue?["session"]?.objectValue?["token"]?.stringValue),
                userId: try #require(created.objectValue?["user"]?.objectValue?["_id"]?.stringValue))

            let info = try await server.asAccount(first, .get, "/api/auth/session").expect(.ok)
            #expect(info.objectValue?["user"]?.objectValue?["_id"]?.stringValue == first.userId)
            #expect(info.objectValue?["memberships"] == .array([]))

            // Wrong password and unknown email answer alike.
            let wrong = try await server.signIn("ada@example.com", password: "not the password")
            let unknown = try await server.signIn("nobody@example.com", password: "not the password")
            #expect(wrong.status == .unauthorized && unknown.status == .unauthorized)
            #expect(wrong["error"] == unknown["error"])

            let second = try await server.signIn("ADA@example.com").expect(.ok)
            let secondToken = try #require(second.objectValue?["session"]?.objectValue?["token"]?.stringValue)
            let secondAccount = Account(email: first.email, token: secondToken, userId: first.userId)
            let listed = try await server.asAccount(secondAccount, .get, "/api/auth/sessions")
            #expect(listed.results.count == 2)
            #expect(listed.results.filter { $0.objectValue?["current"] == .bool(true) }.count == 1)
            #expect(!listed.text.contains(first.token) && !listed.text.contains(secondToken))

            // Revoking the first session from the second ends it at once.
            let firstId = try #require(created.objectValue?["session"]?.objectValue?["_id"]?.stringValue)
            try await server.asAccount(secondAccount, .delete, "/api/auth/sessions/\(firstId)").expect(.ok)
            #expect(try await server.asAccount(first, .get, "/api/auth/session").status == .unauthorized)
            // Another account cannot revoke it: 404 as for a missing one.
            let other = try await server.signUp("grace@example.com")
            let secondId = try #require(second.objectValue?["session"]?.objectValue?["_id"]?.stringValue)
            #expect(try await server.asAccount(other, .delete, "/api/auth/sessions/\(secondId)").status == .notFound)

            // Refresh rotates the token; sign out ends the session.
            let refreshed = try await server.asAccount(secondAccount, .post, "/api/auth/refresh").expect(.ok)
            let rotated = Account(
                email: first.email, token: try #require(refreshed.objectValue?["session"]?.objectValue?["token"]?.stringValue),
                userId: first.userId)
            #expect(try await server.asAccount(secondAccount, .get, "/api/auth/session").status == .unauthorized)
            try await server.asAccount(rotated, .post, "/api/auth/signout").expect(.ok)
            #expect(try await server.asAccount(rotated, .get, "/api/auth/session").status == .unauthorized)

            // The security log has the story, and no secret.
            let log = try await server.store.events(EventQuery(groupId: first.userId), page: PageRequest(limit: 100)).items
            let types = log.map(\.type)
            #expect(types.contains("user_registered") && types.contains("user_login") && types.contains("user_login_failed"))
            #expect(types.contains("user_logout"))
            let logText = log.map { $0.metadata.jsonText() }.joined()
            #expect(!logText.contains("correct horse") && !logText.contains("sst_"))
        }
    }

    @Test("bad sign-up input: clear errors, nothing stored")
    func badSignup() async throws {
        try await TestServer.run { server in
            let cases: [(JSONValue, String)] = [
                (["password": "correct horse battery"], "email"),
                (["email": "not-an-email", "password": "correct horse battery"], "email"),
                (["email": "a@example.com"], "password"),
                (["email": "a@example.com", "password": "short"], "password"),
                (["email": "a@example.com", "password": .string(String(repeating: "x", count: 73))], "password"),
                (["email": "a@example.com", "password": "        "], "password"),
                (["email": "a@example.com", "password": "correct horse battery", "role": "platform_owner"], "role"),
            ]
            for (body, field) in cases {
                let reply = try await server.api.request(.post, "/api/auth/signup", key: nil, body: body)
                #expect(reply.status == .badRequest, "\(body)")
                #expect(reply["field"]?.stringValue == field, "\(body)")
            }
            #expect(try await server.store.identity(email: "a@example.com") == nil)
            _ = try await server.signUp("a@example.com")
            let again = try await server.api.request(
                .post, "/api/auth/signup", key: nil, body: ["email": "a@example.com", "password": "another password"])
            #expect(again.status == .conflict)
        }
    }

    @Test("signing up into a group: only open groups; the session then acts there with its role", arguments: TestStore.available)
    func signupIntoGroup(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let open = try await server.makeTenant(settings: ["joinPolicy": "open"])
            let closed = try await server.makeTenant()
            let ownersThing = try await server.makeThing(open)

            try await server.expectUnchanged(closed.groupId) {
                let refused = try await server.api.request(
                    .post, "/api/auth/signup", key: nil,
                    body: ["email": "eve@example.com", "password": "correct horse battery", "groupId": .string(closed.groupId)])
                #expect(refused.status == .forbidden)
            }
            #expect(try await server.store.identity(email: "eve@example.com") == nil, "a refused sign-up stores no account")

            let member = try await server.signUp("bob@example.com", groupId: open.groupId)
            let info = try await server.asAccount(member, .get, "/api/auth/session").expect(.ok)
            #expect(info.objectValue?["memberships"]?.arrayValue?.first?.objectValue?["role"] == "group_user")
            // Acts in the group as a group user: reads, creates, may not edit the owner's thing.
            try await server.asAccount(member, .get, "/api/things/\(ownersThing)").expect(.ok)
            let mine = try await server.asAccount(member, .post, "/api/things", body: ["type": "lesson", "name": "mine"]).expect(.created)
            #expect(try await server.asAccount(member, .patch, "/api/things/\(ownersThing)", body: ["name": "x"]).status == .forbidden)
            // Not in other groups: 404, as for keys.
            #expect(try await server.asAccount(member, .get, "/api/things", group: closed.groupId).status == .notFound)
            // The membership's event names the person, and the thing names them as creator.
            let person = try #require(info.objectValue?["memberships"]?.arrayValue?.first?.objectValue?["personId"]?.stringValue)
            #expect(mine.objectValue?["createdBy"]?.stringValue == person)
            // Demotion applies at once to the session.
            try await server.api.patch("/api/people/\(person)", key: open.key, body: ["role": "customer"]).expect(.ok)
            #expect(try await server.asAccount(member, .post, "/api/things", body: ["type": "lesson", "name": "l"]).status == .forbidden)
            // Removal ends access to the group.
            try await server.api.delete("/api/people/\(person)", key: open.key).expect(.ok)
            #expect(try await server.asAccount(member, .get, "/api/things").status == .forbidden)
        }
    }

    @Test("email verification: mailed link, single use; sign-in refused until verified when required", arguments: TestStore.available)
    func emailVerification(store: TestStore) async throws {
        try await TestServer.run(store, auth: TestServer.authConfiguration(requireEmailVerification: true)) { server in
            let reply = try await server.api.request(
                .post, "/api/auth/signup", key: nil, body: ["email": "v@example.com", "password": "correct horse battery"])
            let created = try reply.expect(.created)
            #expect(created.objectValue?["session"] == .null)
            #expect(created.objectValue?["verificationRequired"] == .bool(true))
            #expect(reply.headers[.setCookie] == nil)
            let refused = try await server.signIn("v@example.com")
            #expect(refused.status == .forbidden && refused.code == "EMAIL_NOT_VERIFIED")
            let badPassword = try await server.signIn("v@example.com", password: "wrong password!")
            #expect(badPassword.status == .unauthorized, "the verification state is told only after the password")

            let token = try await server.mailedToken(to: "v@example.com", subject: "Verify")
            let verified = try await server.api.request(.post, "/api/auth/verify-email", key: nil, body: ["token": .string(token)]).expect(.ok)
            #expect(verified.objectValue?["user"]?.objectValue?["emailVerified"] == .bool(true))
            let reused = try await server.api.request(.post, "/api/auth/verify-email", key: nil, body: ["token": .string(token)])
            #expect(reused.status == .badRequest && reused.code == "INVALID_TOKEN")
            try await server.signIn("v@example.com").expect(.ok)
        }
    }

    @Test("password reset: same answer for unknown emails, one hour, single use, ends every session", arguments: TestStore.available)
    func passwordReset(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let account = try await server.signUp("r@example.com")
            let unknown = try await server.api.request(.post, "/api/auth/reset-password", key: nil, body: ["email": "ghost@example.com"])
            let known = try await server.api.request(.post, "/api/auth/reset-password", key: nil, body: ["email": "r@example.com"])
            #expect(unknown.status == .ok && known.status == .ok && unknown.text == known.text)
            #expect(try await server.mails(to: "ghost@example.com").isEmpty)
            let token = try await server.mailedToken(to: "r@example.com", subject: "Reset")

            let short = try await server.api.request(
                .post, "/api/auth/reset-password/confirm", key: nil, body: ["token": .string(token), "password": "short"])
            #expect(short.status == .badRequest && short["field"] == "password")
            try await server.api.request(
                .post, "/api/auth/reset-password/confirm", key: nil, body: ["token": .string(token), "password": "a brand new password"]
            ).expect(.ok)
            #expect(try await server.asAccount(account, .get, "/api/auth/session").status == .unauthorized)
            #expect(try await server.signIn("r@example.com").status == .unauthorized)
            try await server.signIn("r@example.com", password: "a brand new password").expect(.ok)
            let reused = try await server.api.request(
                .post, "/api/auth/reset-password/confirm", key: nil, body: ["token": .string(token), "password": "yet another one"])
            #expect(reused.code == "INVALID_TOKEN")

            // An expired link is refused.
            try await server.api.request(.post, "/api/auth/reset-password", key: nil, body: ["email": "r@example.com"]).expect(.ok)
            let late = try await server.mailedToken(to: "r@example.com", subject: "Reset")
            try await server.expire(token: late)
            let expired = try await server.api.request(
                .post, "/api/auth/reset-password/confirm", key: nil, body: ["token": .string(late), "password": "yet another one"])
            #expect(expired.code == "INVALID_TOKEN")
        }
    }

    @Test("magic links: single use, 15 minutes, sign in and sign up", arguments: TestStore.available)
    func magicLinks(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let sent = try await server.api.request(.post, "/api/auth/magic-link", key: nil, body: ["email": "m@example.com"]).expect(.ok)
            #expect(sent == ["sent": true])
            let token = try await server.mailedToken(to: "m@example.com", subject: "sign-in link")
            let signedIn = try await server.api.request(.post, "/api/auth/magic-link/verify", key: nil, body: ["token": .string(token)]).expect(.ok)
            #expect(signedIn.objectValue?["user"]?.objectValue?["emailVerified"] == .bool(true))
            #expect(signedIn.objectValue?["session"]?.objectValue?["token"]?.stringValue?.hasPrefix("sst_") == true)
            let reused = try await server.api.request(.post, "/api/auth/magic-link/verify", key: nil, body: ["token": .string(token)])
            #expect(reused.code == "INVALID_TOKEN")
            try await server.api.request(.post, "/api/auth/magic-link", key: nil, body: ["email": "m@example.com"]).expect(.ok)
            let late = try await server.mailedToken(to: "m@example.com", subject: "sign-in link")
            try await server.expire(token: late)
            #expect(try await server.api.request(.post, "/api/auth/magic-link/verify", key: nil, body: ["token": .string(late)]).code == "INVALID_TOKEN")
            let garbage = try await server.api.request(.post, "/api/auth/magic-link/verify", key: nil, body: ["token": "nonsense"])
            #expect(garbage.code == "INVALID_TOKEN")
        }
    }

    @Test("tokens are stored only as digests: the database file holds none of them in plain text")
    func tokensNotInFile() async throws {
        // Mail goes to a mailbox outside the store here: the dev outbox is a mailbox, and holds
        // its links in clear by design.
        let mailbox = Mailbox()
        try await TestServer.run(.sqlite, mailer: mailbox) { server in
            let account = try await server.signUp("t@example.com")
            try await server.api.request(.post, "/api/auth/reset-password", key: nil, body: ["email": "t@example.com"]).expect(.ok)
            try await server.api.request(.post, "/api/auth/magic-link", key: nil, body: ["email": "t@example.com"]).expect(.ok)
            let tokens = await mailbox.tokens
            #expect(tokens.count == 3)
            #expect(try await server.store.mails(limit: 10).isEmpty)
            let file = server.location + "/one.sqlite"
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                + ((try? Data(contentsOf: URL(fileURLWithPath: file + "-wal"))) ?? Data())
            for secret in [account.token, TestServer.password] + tokens {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "a secret is in the database file")
            }
            for secret in [account.token] + tokens {
                #expect(bytes.range(of: Data(SecretToken.hash(secret).utf8)) != nil, "the digest is what is stored")
            }
        }
    }
}

/// A mailbox outside the store: the mail port's other side, as a mail service would be.
actor Mailbox: Mailer {
    private(set) var sent: [OutgoingMail] = []

    func send(_ mail: OutgoingMail) async throws { sent.append(mail) }

    /// The `token=` of every link sent.
    var tokens: [String] {
        sent.flatMap(\.links).compactMap { $0.components(separatedBy: "token=").dropFirst().last }
    }
}

extension TestServer {
    /// Makes a mailed token expire now.
    func expire(token: String) async throws {
        _ = try await store.write { transaction in
            guard var record = try await transaction.authTokenForUpdate(hash: SecretToken.hash(token)) else { return }
            record.expiresAt = 0
            try await transaction.updateAuthToken(record)
        }
    }
}

