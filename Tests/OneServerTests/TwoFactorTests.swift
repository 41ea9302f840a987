import Foundation
import HTTPTypes
import HummingbirdOTP
import OneCore
import Testing

/// TOTP second factor: setup, activation, the sign-in challenge, backup codes, disabling.
@Suite("Two-factor authentication")
struct TwoFactorTests {
    /// The code an authenticator app shows for `secret` (base 32) at `date`.
    static func code(_ uri: String, at date: Date = Date()) throws -> String {
        // The app keys HMAC with the secret's bytes, which the URI carries in base 32; TOTP here
        // takes those bytes as a string, as the server does.
        let secret = try #require(URLComponents(string: uri)?.queryItems?.first { $0.name == "secret" }?.value)
        let key = try #require(base32Decode(secret))
        let value = TOTP(secret: String(decoding: key, as: UTF8.self)).compute(date: date)
        return String(format: "%06d", value)
    }

    static func base32Decode(_ text: String) -> [UInt8]? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var bits = 0, value = 0
        var bytes: [UInt8] = []
        for character in text.uppercased() where character != "=" {
            guard let index = alphabet.firstIndex(of: character) else { return nil }
            value = (value << 5) | index
            bits += 5
            if bits >= 8 {
                bytes.append(UInt8((value >> (bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        return bytes
    }

    @Test("enable, activate, sign in with TOTP and backup codes; wrong and reused codes fail; disable", arguments: TestStore.available)
    func fullCycle(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let account = try await server.signUp("two@example.com")
            let wrongPassword = try await server.asAccount(account, .post, "/api/auth/2fa/enable", body: ["password": "not it at all"])
            #expect(wrongPassword.status == .unauthorized)
            let setup = try await server.asAccount(account, .post, "/api/auth/2fa/enable", body: ["password": .string(TestServer.password)]).expect(.ok)
            let uri = try #require(setup.objectValue?["uri"]?.stringValue)
            #expect(uri.hasPrefix("otpauth://totp/"))
            #expect(setup.objectValue?["secret"]?.stringValue.map { uri.contains("secret=\($0)") } == true)
            let backupCodes = (setup.objectValue?["backupCodes"]?.arrayValue ?? []).compactMap { $0.stringValue }
            #expect(backupCodes.count == 10 && Set(backupCodes).count == 10)

            // Pending until a code proves the app has it: sign-in still needs only the password.
            #expect(try await server.signIn("two@example.com").expect(.ok).objectValue?["session"] != .null)
            let bad = try await server.asAccount(account, .post, "/api/auth/2fa/verify", body: ["code": "000000"])
            #expect(bad.status == .badRequest && bad["field"] == "code")
            // The very code that activated, kept: computing a new one could cross into the next
            // time step and be a fresh, valid code.
            let activationCode = try Self.code(uri)
            try await server.asAccount(account, .post, "/api/auth/2fa/verify", body: ["code": .string(activationCode)]).expect(.ok)

            // Sign-in now stops at a challenge, with no session and no cookie.
            let first = try await server.signIn("two@example.com")
            let challengeBody = try first.expect(.ok)
            #expect(challengeBody.objectValue?["twoFactorRequired"] == .bool(true))
            #expect(first.headers[.setCookie] == nil && challengeBody.objectValue?["session"] == nil)
            let challenge = try #require(challengeBody.objectValue?["challenge"]?.stringValue)
            // The code used to activate cannot be used again in the same time step.
            let replay = try await server.api.request(
                .post, "/api/auth/2fa/verify", key: nil, body: ["challenge": .string(challenge), "code": .string(activationCode)])
            #expect(replay.status == .unauthorized)
            // A backup code works once.
            let signedIn = try await server.api.request(
                .post, "/api/auth/2fa/verify", key: nil, body: ["challenge": .string(challenge), "code": .string(backupCodes[0])]
            ).expect(.ok)
            #expect(signedIn.objectValue?["session"]?.objectValue?["token"]?.stringValue?.hasPrefix("sst_") == true)
            let again = try await server.api.request(
                .post, "/api/auth/2fa/verify", key: nil, body: ["challenge": .string(challenge), "code": .string(backupCodes[1])])
            #expect(again.code == "INVALID_TOKEN", "a challenge is single-use")
            let second = try #require(try await server.signIn("two@example.com").expect(.ok).objectValue?["challenge"]?.stringValue)
            let reusedBackup = try await server.api.request(
                .post, "/api/auth/2fa/verify", key: nil, body: ["challenge": .string(second), "code": .string(backupCodes[0])])
            #expect(reusedBackup.status == .unauthorized)
            // Five wrong codes end the challenge.
            for _ in 0..<4 {
                let wrong = try await server.api.request(
                    .post, "/api/auth/2fa/verify", key: nil, body: ["challenge": .string(second), "code": "123456"])
                #expect(wrong.status == .unauthorized)
            }
            let dead = try await server.api.request(
                .post, "/api/auth/2fa/verify", key: nil, body: ["challenge": .string(second), "code": .string(backupCodes[2])])
            #expect(dead.code == "INVALID_TOKEN")
            // The next time step's code signs in.
            let third = try #require(try await server.signIn("two@example.com").expect(.ok).objectValue?["challenge"]?.stringValue)
            try await server.api.request(
                .post, "/api/auth/2fa/verify", key: nil,
                body: ["challenge": .string(third), "code": .string(try Self.code(uri, at: Date().addingTimeInterval(30)))]
            ).expect(.ok)

            // Disabling needs the password or a code.
            #expect(try await server.asAccount(account, .post, "/api/auth/2fa/disable", body: ["password": "wrong wrong"]).status == .unauthorized)
            try await server.asAccount(account, .post, "/api/auth/2fa/disable", body: ["password": .string(TestServer.password)]).expect(.ok)
            #expect(try await server.signIn("two@example.com").expect(.ok).objectValue?["session"] != .null)
            let log = try await server.store.events(EventQuery(groupId: account.userId), page: PageRequest(limit: 100)).items.map(\.type)
            #expect(log.contains("two_factor_enabled") && log.contains("two_factor_disabled"))
        }
    }
}
