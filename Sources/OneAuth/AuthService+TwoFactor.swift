import Foundation
import HummingbirdOTP
import OneCore

/// A second factor just set up: what the authenticator app and the person need, shown once.
public struct TwoFactorSetup: Sendable {
    /// The shared key in base 32, for typing into an app.
    public var secret: String
    /// The `otpauth://` URI, for a QR code.
    public var uri: String
    /// Ten single-use codes for when the app is lost.
    public var backupCodes: [String]
}

extension AuthService {
    static let codeAttempts = 5
    static let backupCodeCount = 10

    /// Starts setting up TOTP: a new secret and backup codes, pending until ``activateTwoFactor``.
    /// Needs the password when the account has one.
    public func enableTwoFactor(password: String?, _ credential: SessionCredential) async throws -> TwoFactorSetup {
        let identity = try await identity(credential.session.identityId)
        if identity.requiresSecondFactor { throw OneError.conflict("two-factor authentication is already on") }
        if identity.passwordHash != nil {
            guard let password, try await hasher.verify(password, hash: identity.passwordHash) else {
                throw OneError(.unauthenticated, "password is incorrect")
            }
        }
        let key = SecretToken.generate(length: 32).uppercased()
        let uri = TOTP(secret: key).createAuthenticatorURL(label: "ONE:\(identity.email)", issuer: "ONE")
        let secret = URLComponents(string: uri)?.queryItems?.first { $0.name == "secret" }?.value ?? ""
        let codes = (0..<Self.backupCodeCount).map { _ in
            let digits = SecretToken.generate(length: 10)
            return "\(digits.prefix(5))-\(digits.suffix(5))"
        }
        let now = self.now
        _ = try await one.write { transaction in
            guard var identity = try await transaction.identityForUpdate(id: identity.id) else { throw Self.invalidToken }
            identity.twoFactor = TwoFactor(secret: key, enabled: false, backupCodeHashes: codes.map(Self.backupCodeHash))
            identity.updatedAt = now
            try await transaction.updateIdentity(identity)
        }
        return TwoFactorSetup(secret: secret, uri: uri, backupCodes: codes)
    }

    /// Turns a pending second factor on with a first valid code from the app.
    public func activateTwoFactor(code: String?, _ credential: SessionCredential) async throws {
        let code = try Validate.text(code, field: "code", maxLength: 20)
        let now = self.now
        try await one.write { transaction in
            guard var identity = try await transaction.identityForUpdate(id: credential.session.identityId),
                var twoFactor = identity.twoFactor
            else { throw OneError.conflict("start with POST /api/auth/2fa/enable") }
            guard !twoFactor.enabled else { throw OneError.conflict("two-factor authentication is already on") }
            guard let step = Self.matchingStep(code, twoFactor, now: now) else {
                throw OneError(.validation, "code is not the current code of the authenticator app", field: "code")
            }
            twoFactor.enabled = true
            twoFactor.lastStep = step
            identity.twoFactor = twoFactor
            identity.updatedAt = now
            try await transaction.updateIdentity(identity)
            try await self.log("two_factor_enabled", identityId: identity.id, transaction)
        }
    }

    /// Completes a sign-in with the challenge and a TOTP or backup code. Each challenge lives
    /// five minutes, is used once, and dies after five wrong codes.
    public func completeTwoFactor(challenge: String?, code: String?, client: ClientInfo) async throws -> SignedIn {
        let code = try Validate.text(code, field: "code", maxLength: 20)
        let challengeHash = SecretToken.hash(try Validate.text(challenge, field: "challenge", maxLength: 200))
        let now = self.now
        enum Outcome: Sendable { case signedIn(Identity, IssuedSession), wrong(remaining: Int) }
        let outcome = try await one.write { transaction -> Outcome in
            guard var token = try await transaction.authTokenForUpdate(hash: challengeHash),
                token.purpose == .twoFactorChallenge, token.expiresAt > now, let id = token.identityId,
                var identity = try await transaction.identityForUpdate(id: id), var twoFactor = identity.twoFactor,
                twoFactor.enabled
            else { throw OneError(.invalidToken, "this sign-in challenge is invalid, used or expired; sign in again", field: "challenge") }
            var method = "totp"
            if let step = Self.matchingStep(code, twoFactor, now: now) {
                twoFactor.lastStep = step
            } else if let index = twoFactor.backupCodeHashes.firstIndex(of: Self.backupCodeHash(code)) {
                twoFactor.backupCodeHashes.remove(at: index)
                method = "backup_code"
            } else {
                token.attempts += 1
                if token.attempts >= Self.codeAttempts {
                    try await transaction.deleteAuthToken(hash: challengeHash)
                } else {
                    try await transaction.updateAuthToken(token)
                }
                try await self.log("user_login_failed", identityId: id, transaction, metadata: ["method": "two_factor"])
                return .wrong(remaining: Self.codeAttempts - token.attempts)
            }
            try await transaction.deleteAuthToken(hash: challengeHash)
            identity.twoFactor = twoFactor
            identity.updatedAt = now
            try await transaction.updateIdentity(identity)
            try await self.log("user_login", identityId: id, transaction, metadata: ["method": .string(method)])
            return .signedIn(identity, try await self.issueSession(id, client, transaction))
        }
        switch outcome {
        case .signedIn(let identity, let issued):
            return SignedIn(identity: identity, session: issued, verificationRequired: false)
        case .wrong(let remaining):
            let tail = remaining > 0 ? "\(remaining) attempts left" : "sign in again"
            throw OneError(.unauthenticated, "the code is not valid; \(tail)")
        }
    }

    /// Turns the second factor off; needs the password or a current code.
    public func disableTwoFactor(password: String?, code: String?, _ credential: SessionCredential) async throws {
        let identity = try await identity(credential.session.identityId)
        guard let twoFactor = identity.twoFactor else { throw OneError.conflict("two-factor authentication is off") }
        let now = self.now
        var proven = false
        if let password, identity.passwordHash != nil { proven = try await hasher.verify(password, hash: identity.passwordHash) }
        if !proven, let code { proven = Self.matchingStep(code, twoFactor, now: now) != nil }
        guard proven else { throw OneError(.unauthenticated, "give the password or a current code to turn two-factor authentication off") }
        try await one.write { transaction in
            guard var identity = try await transaction.identityForUpdate(id: identity.id) else { throw Self.invalidToken }
            identity.twoFactor = nil
            identity.updatedAt = now
            try await transaction.updateIdentity(identity)
            try await self.log("two_factor_disabled", identityId: identity.id, transaction)
        }
    }

    /// The time step `code` is valid for (now, or one step either side for clock drift),
    /// provided it is later than the last step used, so no code works twice.
    static func matchingStep(_ code: String, _ twoFactor: TwoFactor, now: Timestamp) -> Int64? {
        let digits = code.filter { !$0.isWhitespace }
        guard digits.count == 6, let value = Int(digits) else { return nil }
        let totp = TOTP(secret: twoFactor.secret)
        let current = now / 1000 / 30
        for step in [current - 1, current, current + 1] where step > (twoFactor.lastStep ?? Int64.min) {
            if totp.compute(date: Date(timeIntervalSince1970: Double(step * 30))) == value { return step }
        }
        return nil
    }

    static func backupCodeHash(_ code: String) -> String {
        SecretToken.hash(code.lowercased().filter { $0.isLetter || $0.isNumber })
    }
}
