import OneCore

/// What `GET /api/auth/session` shows: the account, this session, and where it may act.
public struct SessionInfo: Sendable {
    public var identity: Identity
    public var session: Session
    public var memberships: [MembershipGrant]
}

extension AuthService {
    public func sessionInfo(_ credential: SessionCredential) async throws -> SessionInfo {
        SessionInfo(
            identity: try await identity(credential.session.identityId), session: credential.session,
            memberships: credential.memberships)
    }

    /// Ends the caller's session.
    public func signOut(_ credential: SessionCredential) async throws {
        let session = credential.session
        _ = try await one.write { transaction in
            try await transaction.deleteSession(id: session.id)
            try await self.log("user_logout", identityId: session.identityId, transaction, metadata: ["sessionId": .string(session.id)])
        }
        one.forgetSessions(identityId: session.identityId)
    }

    /// Replaces the caller's token with a new one valid seven days from now; the old token stops
    /// working at once.
    public func refresh(_ credential: SessionCredential) async throws -> IssuedSession {
        let token = SessionToken.generate()
        let now = self.now
        let session = try await one.write { transaction in
            guard var session = try await transaction.sessionForUpdate(id: credential.session.id) else {
                throw OneError(.unauthenticated, "the session has ended; sign in again")
            }
            session.expiresAt = now + OneService.sessionLifetime
            session.refreshedAt = now
            try await transaction.updateSession(session, hash: SecretToken.hash(token))
            return session
        }
        one.forgetSessions(identityId: session.identityId)
        return IssuedSession(session: session, token: token)
    }

    /// The account's sessions that have not expired, newest first.
    public func sessions(_ credential: SessionCredential) async throws -> [Session] {
        try await store.sessions(identityId: credential.session.identityId, now: now)
    }

    /// Ends one of the account's own sessions; another account's answer 404 like missing ones.
    public func revokeSession(id: String, _ credential: SessionCredential) async throws {
        _ = try IDKind.session.validate(id, field: "id")
        let identityId = credential.session.identityId
        _ = try await one.write { transaction in
            guard let session = try await transaction.sessionForUpdate(id: id), session.identityId == identityId else {
                throw OneError.notFound("session")
            }
            try await transaction.deleteSession(id: id)
            try await self.log("user_logout", identityId: identityId, transaction, metadata: ["sessionId": .string(id)])
        }
        one.forgetSessions(identityId: identityId)
    }

    /// Accepts an invitation as the signed-in account.
    public func acceptInvitation(token: String?, _ credential: SessionCredential) async throws -> Person {
        let token = try Validate.text(token, field: "token", maxLength: 200)
        do {
            return try await one.acceptInvitation(token: token, identityId: credential.session.identityId)
        } catch let error as OneError where error.code == .notFound {
            throw OneError(.invalidToken, error.message, field: "token")
        }
    }

    /// Mails a sign-in link valid 15 minutes. Unknown emails get one too when magic-link
    /// sign-up is on; either way the answer is the same.
    public func requestMagicLink(email rawEmail: String?) async throws {
        let email = try Validate.email(rawEmail)
        let identity = try await store.identity(email: email)
        guard identity != nil || configuration.magicLinkSignup else { return }
        let token = try await one.write { transaction in
            try await self.newToken(.magicLink, identityId: identity?.id, email: email, lifetime: Self.magicLinkLifetime, transaction)
        }
        await mail(
            to: email, subject: "Your sign-in link", intro: "Follow this link within 15 minutes to sign in:",
            path: "/auth/magic-link", token: token)
    }

    /// Signs in with a mailed link (making the account when sign-up by link is on). The link
    /// reached the mailbox, so the email counts as verified. A second factor still applies.
    public func verifyMagicLink(token: String?, client: ClientInfo) async throws -> SignInOutcome {
        let now = self.now
        let newId = one.ids.make(.identity)
        let signup = configuration.magicLinkSignup
        let identity = try await one.write { transaction in
            let token = try await self.consumeToken(token, .magicLink, transaction)
            guard let email = token.email else { throw Self.invalidToken }
            if var identity = try await transaction.identityForUpdate(email: email) {
                if identity.emailVerifiedAt == nil {
                    identity.emailVerifiedAt = now
                    identity.updatedAt = now
                    try await transaction.updateIdentity(identity)
                    try await self.log("email_verified", identityId: identity.id, transaction)
                }
                return identity
            }
            guard signup else { throw Self.invalidToken }
            let identity = Identity(id: newId, email: email, emailVerifiedAt: now, createdAt: now, updatedAt: now)
            try await transaction.insertIdentity(identity)
            try await self.log("user_registered", identityId: identity.id, transaction, metadata: ["method": "magic_link"])
            return identity
        }
        return try await completeFirstFactor(identity, method: "magic_link", client: client)
    }

    /// Invites a person into the scope's group (``OneService/invitePerson(_:in:)``) and mails
    /// them the link that accepts it: every transport that invites gets both.
    public func invite(_ input: NewPerson, in scope: Scope) async throws -> Person {
        guard !one.isAtomic else {
            throw OneError.validation("path", "an invitation sends mail, so it cannot be part of an atomic batch")
        }
        let invitation = try await one.invitePerson(input, in: scope)
        let groupName = try await store.group(id: scope.groupId)?.name ?? "a group"
        await mail(
            to: invitation.person.email, subject: "You are invited to \(groupName)",
            intro: "You have been invited to join \(groupName). Follow this link to accept:",
            path: "/auth/invitation", token: invitation.token)
        return invitation.person
    }
}
