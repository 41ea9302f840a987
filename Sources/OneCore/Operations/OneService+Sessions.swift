extension OneService {
    /// How long a session lasts without use, and how often its expiry slides forward.
    public static let sessionLifetime: Timestamp = 7 * 24 * 60 * 60 * 1000
    public static let sessionSlideInterval: Timestamp = 24 * 60 * 60 * 1000

    /// The session a token stands for, with its identity's memberships; 401 for malformed,
    /// unknown and expired tokens. Slides the expiry forward at most once a day, off the request.
    public func authenticateSession(token: String) async throws -> SessionCredential {
        try await authenticateSession(hash: try Self.sessionHash(token))
    }

    /// ``authenticateSession(token:)``, for a token already digested.
    public func authenticateSession(hash: String) async throws -> SessionCredential {
        let now = clock.now()
        let found = try await sessionCache.value(hash: hash, clock: clock) { try await store.sessionCredential(hash: hash) }
        guard let credential = found else { throw OneError(.unauthenticated, "the session token is not valid") }
        let session = credential.session
        guard session.expiresAt > now else { throw OneError(.unauthenticated, "the session has expired; sign in again") }
        if now - session.refreshedAt >= Self.sessionSlideInterval,
            sessionSlides.shouldRecord(keyId: session.id, storedLastUse: nil, now: now)
        {
            var slid = session
            slid.refreshedAt = now
            slid.expiresAt = now + Self.sessionLifetime
            let slidSession = slid
            Task { [store] in
                _ = try? await store.write { transaction in try await transaction.updateSession(slidSession, hash: nil) }
            }
        }
        return credential
    }

    /// The principal a session acts as: its person in the addressed group (or, for a group
    /// below one where they are an owner, through that membership), or in their oldest
    /// membership when no group is named. Groups the identity has no part in answer 404, as
    /// for keys.
    public func principal(for credential: SessionCredential, groupId: String?) async throws -> Principal {
        let memberships = credential.memberships
        guard let groupId else {
            guard let first = memberships.first else {
                throw OneError.forbidden("this account is not a member of any group yet; accept an invitation or sign up into a group")
            }
            return Principal(session: credential.session, acting: first, rateLimit: sessionRateLimit)
        }
        _ = try IDKind.group.validate(groupId, field: "X-Group-Id")
        if let direct = memberships.first(where: { $0.groupId == groupId }) {
            return Principal(session: credential.session, acting: direct, rateLimit: sessionRateLimit)
        }
        let ancestors = try await store.ancestorIds(of: groupId)
        for ancestor in ancestors {
            if let grant = memberships.first(where: { $0.groupId == ancestor }), grant.role >= .groupOwner {
                return Principal(session: credential.session, acting: grant, rateLimit: sessionRateLimit)
            }
        }
        if let platform = memberships.first(where: { $0.role == .platformOwner }) {
            return Principal(session: credential.session, acting: platform, rateLimit: sessionRateLimit)
        }
        throw OneError.notFound("group")
    }

    /// The `requestsPerMinute` limit of a group, if it sets one; read at most once a second.
    public func requestLimit(ofGroup groupId: String) async throws -> Int? {
        let now = clock.now()
        if let cached = groupRequestLimits.cached(groupId, now: now) { return cached }
        let limit = try await store.group(id: groupId)?.settings.limits?[.requestsPerMinute]
        groupRequestLimits.store(limit, groupId: groupId, now: now)
        return limit
    }

    /// Forgets cached sessions of an identity, after sign-out or a password change.
    public func forgetSessions(identityId: String) {
        sessionCache.evict { $0.session.identityId == identityId }
    }
}

/// A session's bearer token: `sst_` and 48 random base-32 digits (240 bits), shown once.
public enum SessionToken {
    public static let prefix = "sst_"
    static let length = 48

    public static func generate() -> String { SecretToken.generate(prefix: prefix, length: length) }

    public static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == prefix.utf8.count + length && token.hasPrefix(prefix)
    }
}
