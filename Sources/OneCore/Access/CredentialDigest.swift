/// A presented credential by its digest: what a long-lived connection keeps to prove again who
/// it is (after a revocation, a demotion, an expiry) without holding the secret itself.
public enum CredentialDigest: Sendable, Hashable {
    case apiKey(hash: String)
    case session(hash: String)
    /// A group's sync secret.
    case syncSecret(hash: String)
}

extension OneService {
    /// The digest of an API key secret; 401 when it is not one.
    public func digest(ofKey secret: String) throws(OneError) -> CredentialDigest {
        .apiKey(hash: try Self.keyHash(secret))
    }

    static func keyHash(_ secret: String) throws(OneError) -> String {
        guard APIKeySecret.isWellFormed(secret) else { throw OneError(.unauthenticated, "X-API-Key is not a valid API key") }
        return APIKeySecret.hash(secret)
    }

    public static func sessionHash(_ token: String) throws(OneError) -> String {
        guard SessionToken.isWellFormed(token) else { throw OneError(.unauthenticated, "the session token is not valid") }
        return SecretToken.hash(token)
    }

    /// Who the credential stands for now, acting in `groupId` when given (a session acts through
    /// its membership there). Answers as ``authenticate(secret:)`` and
    /// ``authenticateSession(token:)`` do, through the same caches.
    public func principal(for digest: CredentialDigest, groupId: String?) async throws -> Principal {
        switch digest {
        case .apiKey(let hash):
            return try await authenticate(keyHash: hash)
        case .session(let hash):
            return try await principal(for: try await authenticateSession(hash: hash), groupId: groupId)
        case .syncSecret(let hash):
            guard let group = try await store.syncSecretGroup(hash: hash) else {
                throw OneError(.unauthenticated, "X-Sync-Secret is not this group's sync secret")
            }
            return Principal(syncSecretOf: group, hash: hash, rateLimit: sessionRateLimit)
        }
    }

    /// The scope a long-lived connection acts in now: its credential proved again, acting in
    /// `groupId` (or its home group) when that group is reachable.
    public func scope(for digest: CredentialDigest, groupId: String?) async throws -> Scope {
        try await scope(for: try await principal(for: digest, groupId: groupId), groupId: groupId)
    }
}
