import OneCore

/// What a client sends to sign up.
public struct SignUpRequest: Codable, Sendable {
    public var email: String?
    public var password: String?
    public var name: String?
    /// An `open` group to join as a group user.
    public var groupId: String?
    /// The token of an invitation mailed to this email, accepted as the account is made.
    public var invitation: String?

    public init(email: String?, password: String?, name: String? = nil, groupId: String? = nil, invitation: String? = nil) {
        self.email = email
        self.password = password
        self.name = name
        self.groupId = groupId
        self.invitation = invitation
    }
}

extension AuthService {
    /// Makes an account (and, with `groupId`, its person and membership there) in one
    /// transaction, mails a verification link, and signs in unless verification comes first.
    ///
    /// An email already taken answers 409, except an account no one has ever signed in to
    /// (made by an invitation), which the sign-up claims without its memberships: those stay
    /// invited until the invitation is accepted.
    public func signUp(_ input: SignUpRequest, client: ClientInfo) async throws -> SignedIn {
        let email = try Validate.email(input.email)
        let password = try PasswordHasher.validate(input.password)
        let name = try Validate.optionalText(input.name, field: "name", maxLength: 200)
        let groupId = try Validate.optionalID(input.groupId, .group, field: "groupId")
        let invitation = try Validate.optionalText(input.invitation, field: "invitation", maxLength: 200)
        let passwordHash = try await hasher.hash(password)
        let now = self.now
        let newId = one.ids.make(.identity)
        let requireVerification = configuration.requireEmailVerification
        let (identity, issued, verification) = try await one.write { transaction in
            var identity: Identity
            if let existing = try await transaction.identityForUpdate(email: email) {
                let active = try await transaction.memberships(identityId: existing.id)
                guard existing.passwordHash == nil, existing.emailVerifiedAt == nil, active.isEmpty else {
                    throw OneError.conflict("an account with this email already exists; sign in, or reset the password")
                }
                identity = existing
                identity.passwordHash = passwordHash
                identity.name = name ?? existing.name
                identity.updatedAt = now
                try await transaction.updateIdentity(identity)
            } else {
                identity = Identity(id: newId, email: email, name: name, passwordHash: passwordHash, createdAt: now, updatedAt: now)
                try await transaction.insertIdentity(identity)
            }
            try await self.log("user_registered", identityId: identity.id, transaction, metadata: ["method": "password"])
            if let invitation {
                let hash = SecretToken.hash(invitation)
                guard let record = try await transaction.authTokenForUpdate(hash: hash), record.email == email else {
                    throw OneError(.invalidToken, "this invitation is invalid, used, or for another email", field: "invitation")
                }
                do {
                    _ = try await self.one.acceptInvitation(hash: hash, identityId: identity.id, now: now, transaction)
                } catch let error as OneError where error.code == .notFound {
                    throw OneError(.invalidToken, error.message, field: "invitation")
                }
                identity.emailVerifiedAt = now  // the invitation reached this mailbox
                try await transaction.updateIdentity(identity)
            }
            if let groupId {
                _ = try await self.one.joinOpenGroup(
                    groupId, identityId: identity.id, email: email, name: name ?? String(email.prefix { $0 != "@" }),
                    now: now, transaction)
            }
            var verification: String?
            if identity.emailVerifiedAt == nil {
                verification = try await self.newToken(
                    .verifyEmail, identityId: identity.id, email: email, lifetime: Self.verificationLifetime, transaction)
                try await self.log("email_verification_sent", identityId: identity.id, transaction)
            }
            let mayEnter = !requireVerification || identity.emailVerifiedAt != nil
            let issued = mayEnter ? try await self.issueSession(identity.id, client, transaction) : nil
            if issued != nil { try await self.log("user_login", identityId: identity.id, transaction, metadata: ["method": "signup"]) }
            return (identity, issued, verification)
        }
        if let verification { await sendVerification(to: email, token: verification) }
        return SignedIn(identity: identity, session: issued, verificationRequired: requireVerification && identity.emailVerifiedAt == nil)
    }

    /// Checks a password; with a second factor on, answers with a challenge instead of a session.
    /// Wrong passwords and unknown emails answer alike (401) and take as long; repeated failures
    /// for one email slow down and then lock it (429), whether or not the account exists.
    public func signIn(email rawEmail: String?, password: String?, client: ClientInfo) async throws -> SignInOutcome {
        let email = try Validate.email(rawEmail)
        // Checked as given, never trimmed: a password is compared byte for byte with what was set.
        guard let password, !password.isEmpty, password.utf8.count <= 1_000 else {
            throw OneError.validation("password", "password is required: 1 to 1000 bytes")
        }
        if let wait = throttle.wait(for: email, now: now) {
            throw OneError(.rateLimited, "too many failed sign-ins for this email; try again in \(wait) s", retryAfter: wait)
        }
        let found = try await store.identity(email: email)
        let matches = try await hasher.verify(password, hash: found?.passwordHash)
        guard let identity = found, matches else {
            throttle.failed(email, now: now)
            if let found {
                let address = client.address.map(JSONValue.string) ?? .null
                _ = try await one.write { transaction in
                    try await self.log("user_login_failed", identityId: found.id, transaction, metadata: ["method": "password", "address": address])
                }
            }
            throw OneError(.unauthenticated, "email or password is incorrect")
        }
        throttle.succeeded(email)
        return try await completeFirstFactor(identity, method: "password", client: client)
    }

    /// After a first factor (password or magic link): refuses unverified emails when configured,
    /// asks for the second factor when on, or makes the session.
    func completeFirstFactor(_ identity: Identity, method: String, client: ClientInfo) async throws -> SignInOutcome {
        if configuration.requireEmailVerification, identity.emailVerifiedAt == nil {
            throw OneError(.emailNotVerified, "verify your email first: follow the link we sent, or ask for a new one")
        }
        if identity.requiresSecondFactor {
            let challenge = try await one.write { transaction in
                try await self.newToken(
                    .twoFactorChallenge, identityId: identity.id, email: nil, lifetime: Self.challengeLifetime,
                    data: ["method": .string(method)], transaction)
            }
            return .twoFactorRequired(challenge: challenge)
        }
        let issued = try await one.write { transaction in
            try await self.log("user_login", identityId: identity.id, transaction, metadata: ["method": .string(method)])
            return try await self.issueSession(identity.id, client, transaction)
        }
        return .signedIn(SignedIn(identity: identity, session: issued, verificationRequired: false))
    }

    /// Mails a reset link valid one hour, withdrawing older ones. Answers the same whether or
    /// not the email has an account.
    public func requestPasswordReset(email rawEmail: String?) async throws {
        let email = try Validate.email(rawEmail)
        guard let identity = try await store.identity(email: email) else { return }
        let token = try await one.write { transaction in
            try await transaction.deleteAuthTokens(identityId: identity.id, purpose: .resetPassword)
            try await self.log("password_reset_requested", identityId: identity.id, transaction)
            return try await self.newToken(
                .resetPassword, identityId: identity.id, email: email, lifetime: Self.resetLifetime, transaction)
        }
        await mail(
            to: email, subject: "Reset your password", intro: "Follow this link within an hour to choose a new password:",
            path: "/auth/reset-password", token: token)
    }

    /// Sets a new password with a reset token, and ends every session of the account. The link
    /// reached the mailbox, so the email counts as verified.
    public func resetPassword(token: String?, password: String?) async throws {
        let password = try PasswordHasher.validate(password)
        let hash = try await hasher.hash(password)
        let now = self.now
        let identityId = try await one.write { transaction in
            let token = try await self.consumeToken(token, .resetPassword, transaction)
            guard let id = token.identityId, var identity = try await transaction.identityForUpdate(id: id) else {
                throw Self.invalidToken
            }
            identity.passwordHash = hash
            identity.emailVerifiedAt = identity.emailVerifiedAt ?? now
            identity.updatedAt = now
            try await transaction.updateIdentity(identity)
            let ended = try await transaction.deleteSessions(identityId: id)
            try await self.log("password_reset_completed", identityId: id, transaction, metadata: ["sessionsEnded": .integer(Int64(ended.count))])
            return id
        }
        one.forgetSessions(identityId: identityId)
    }

    /// Changes the password of a signed-in account: every session ends, and a new one is made
    /// for the caller.
    public func changePassword(
        current: String?, new: String?, credential: SessionCredential, client: ClientInfo
    ) async throws -> IssuedSession {
        let identity = try await identity(credential.session.identityId)
        let newPassword = try PasswordHasher.validate(new, field: "newPassword")
        guard let current, try await hasher.verify(current, hash: identity.passwordHash) else {
            throw OneError(.unauthenticated, "currentPassword is incorrect")
        }
        let hash = try await hasher.hash(newPassword)
        let now = self.now
        let issued = try await one.write { transaction in
            guard var identity = try await transaction.identityForUpdate(id: identity.id) else { throw Self.invalidToken }
            identity.passwordHash = hash
            identity.updatedAt = now
            try await transaction.updateIdentity(identity)
            _ = try await transaction.deleteSessions(identityId: identity.id)
            try await self.log("password_changed", identityId: identity.id, transaction)
            return try await self.issueSession(identity.id, client, transaction)
        }
        one.forgetSessions(identityId: identity.id)
        return issued
    }

    /// Marks the email verified with the mailed token.
    public func verifyEmail(token: String?) async throws -> Identity {
        let now = self.now
        return try await one.write { transaction in
            let token = try await self.consumeToken(token, .verifyEmail, transaction)
            guard let id = token.identityId, var identity = try await transaction.identityForUpdate(id: id),
                identity.email == token.email
            else { throw Self.invalidToken }
            if identity.emailVerifiedAt == nil {
                identity.emailVerifiedAt = now
                identity.updatedAt = now
                try await transaction.updateIdentity(identity)
                try await self.log("email_verified", identityId: id, transaction)
            }
            return identity
        }
    }

    /// Mails a new verification link to a signed-in account whose email is not verified.
    public func resendVerification(credential: SessionCredential) async throws {
        let identity = try await identity(credential.session.identityId)
        guard identity.emailVerifiedAt == nil else { throw OneError.conflict("this email is already verified") }
        let token = try await one.write { transaction in
            try await transaction.deleteAuthTokens(identityId: identity.id, purpose: .verifyEmail)
            try await self.log("email_verification_sent", identityId: identity.id, transaction)
            return try await self.newToken(
                .verifyEmail, identityId: identity.id, email: identity.email, lifetime: Self.verificationLifetime, transaction)
        }
        await sendVerification(to: identity.email, token: token)
    }

    func sendVerification(to email: String, token: String) async {
        await mail(
            to: email, subject: "Verify your email", intro: "Follow this link to verify your email address:",
            path: "/auth/verify-email", token: token)
    }
}
