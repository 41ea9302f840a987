/// A group's sync secret as shown once, when it is made.
public struct SyncSecret: Sendable {
    public var groupId: String
    public var secret: String
    public var createdAt: Timestamp
}

extension SyncSecret: JSONRepresentable {
    public var json: JSONValue {
        ["groupId": .string(groupId), "secret": .string(secret), "createdAt": .integer(Int64(createdAt))]
    }
}

extension OneService {
    static let syncSecretPrefix = "gss_"

    /// Makes a new sync secret for a group the caller owns, replacing the old one at once.
    /// Only its digest is kept; the secret is shown this once.
    public func rotateSyncSecret(groupId: String, as principal: Principal) async throws -> SyncSecret {
        let target = try await ownedGroup(groupId, as: principal)
        let secret = SecretToken.generate(prefix: Self.syncSecretPrefix)
        let now = clock.now()
        try await write { transaction in
            _ = try await TenantTree.writableChain(groupId, for: principal, transaction)
            try await transaction.saveSyncSecret(groupId: groupId, hash: SecretToken.hash(secret), createdAt: now)
            try await transaction.append(self.draft(target, "sync_secret_rotated", target: groupId))
        }
        return SyncSecret(groupId: groupId, secret: secret, createdAt: now)
    }

    /// Removes a group's sync secret, so nothing can sync with it any more.
    public func revokeSyncSecret(groupId: String, as principal: Principal) async throws {
        let target = try await ownedGroup(groupId, as: principal)
        try await write { transaction in
            _ = try await TenantTree.writableChain(groupId, for: principal, transaction)
            guard try await transaction.deleteSyncSecret(groupId: groupId) else {
                throw OneError(.notFound, "this group has no sync secret")
            }
            try await transaction.append(self.draft(target, "sync_secret_revoked", target: groupId))
        }
    }

    /// The digest of a sync secret; 401 when it is not one. The principal it stands for
    /// (``principal(for:groupId:)``) is a group user of its group who may sync things,
    /// connections and knowledge.
    ///
    /// The secret is looked up by its SHA-256 digest: the database compares digests, never the
    /// secret, so the time a guess takes tells nothing about the secret.
    public func digest(ofSyncSecret secret: String) throws(OneError) -> CredentialDigest {
        guard secret.hasPrefix(Self.syncSecretPrefix), secret.utf8.count <= 200 else {
            throw OneError(.unauthenticated, "X-Sync-Secret is not a sync secret")
        }
        return .syncSecret(hash: SecretToken.hash(secret))
    }

    /// The scope of a group whose settings the principal may change: 403 below owner, 404 out of reach.
    private func ownedGroup(_ groupId: String, as principal: Principal) async throws -> Scope {
        try AccessPolicy.require(principal, .update, .groups)
        _ = try IDKind.group.validate(groupId, field: "id")
        guard try await canReach(principal, groupId: groupId) else { throw OneError.notFound("group") }
        return Scope(principal: principal, groupId: groupId)
    }
}
