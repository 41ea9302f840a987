/// What a client sends to create an API key.
public struct NewAPIKey: Codable, Sendable {
    public var name: String?
    public var role: String?
    public var permissions: [String]?
    public var personId: String?
    public var expiresAt: Timestamp?
    public var rateLimit: RateLimit?

    public init(
        name: String? = nil, role: String? = nil, permissions: [String]? = nil, personId: String? = nil,
        expiresAt: Timestamp? = nil, rateLimit: RateLimit? = nil
    ) {
        self.name = name
        self.role = role
        self.permissions = permissions
        self.personId = personId
        self.expiresAt = expiresAt
        self.rateLimit = rateLimit
    }
}

/// A key just made: the record and its secret, which is never available again.
public struct IssuedAPIKey: Sendable {
    public var key: APIKey
    public var secret: String
}

extension OneService {
    static let defaultKeyLifetime: Timestamp = 365 * 24 * 60 * 60 * 1000

    /// The principal a secret stands for. 401 for malformed, unknown, revoked or expired keys,
    /// and for keys whose person is no longer a member of the key's group. A key bound to a
    /// person acts with the lower of its own role and that person's role now.
    public func authenticate(secret: String) async throws -> Principal {
        try await authenticate(keyHash: try Self.keyHash(secret))
    }

    /// ``authenticate(secret:)``, for a secret already digested.
    func authenticate(keyHash hash: String) async throws -> Principal {
        let now = clock.now()
        let found = try await keyCache.value(hash: hash, clock: clock) { try await store.credential(hash: hash) }
        guard let credential = found else { throw OneError(.unauthenticated, "X-API-Key is not a valid API key") }
        let key = credential.key
        guard key.status == .active else { throw OneError(.unauthenticated, "this API key has been revoked") }
        if let expiresAt = key.expiresAt, expiresAt <= now {
            throw OneError(.unauthenticated, "this API key has expired")
        }
        if key.personId != nil, credential.personRole == nil {
            throw OneError(.unauthenticated, "the person this API key acts as is no longer a member of its group")
        }
        if keyUsage.shouldRecord(keyId: key.id, storedLastUse: key.lastUsedAt, now: now) {
            let store = self.store
            Task { try? await store.touchAPIKey(id: key.id, at: now) }
        }
        return Principal(credential)
    }

    /// Makes a key in the scope's group. Nobody can mint a key stronger than their own: its
    /// role is at most the caller's and its permissions within the caller's.
    public func createAPIKey(_ input: NewAPIKey, in scope: Scope) async throws -> IssuedAPIKey {
        try AccessPolicy.require(scope.principal, .create, .keys)
        return try await issueAPIKey(input, groupId: scope.groupId, caller: scope.principal)
    }

    /// Makes a key without a caller, for operators at the console (`one keys create`).
    public func createAPIKeyAsOperator(_ input: NewAPIKey, groupId: String) async throws -> IssuedAPIKey {
        _ = try IDKind.group.validate(groupId, field: "group")
        guard try await store.group(id: groupId) != nil else { throw OneError.notFound("group") }
        return try await issueAPIKey(input, groupId: groupId, caller: nil)
    }

    private func issueAPIKey(_ input: NewAPIKey, groupId: String, caller: Principal?) async throws -> IssuedAPIKey {
        let name = try Validate.text(input.name ?? "API key", field: "name", maxLength: 200)
        let role = try input.role.map { value throws(OneError) in try Role.parse(value, field: "role") } ?? .groupUser
        let permissions = try PermissionSet.validate(input.permissions ?? [], field: "permissions")
        let now = clock.now()
        if let caller {
            guard role <= caller.role else {
                throw OneError.forbidden("a \(caller.role.rawValue) cannot create a key with role \(role.rawValue)")
            }
            if !caller.permissions.entries.isEmpty {
                let within = !permissions.isEmpty && permissions.allSatisfy { caller.permissions.entries.contains($0) || caller.permissions.entries.contains("*") }
                guard within else {
                    throw OneError.forbidden("a key with limited permissions can only create keys within them")
                }
            }
        }
        if let expiresAt = input.expiresAt, expiresAt <= now {
            throw OneError.validation("expiresAt", "expiresAt must be in the future")
        }
        var expiresAt = input.expiresAt ?? now + Self.defaultKeyLifetime
        var rateLimit = input.rateLimit ?? .default
        if let caller {
            // Never longer-lived or less throttled than the key that makes it.
            if let callerExpiry = caller.expiresAt {
                if let asked = input.expiresAt, asked > callerExpiry {
                    throw OneError.validation("expiresAt", "expiresAt cannot be later than the expiry of the key making it")
                }
                expiresAt = min(expiresAt, callerExpiry)
            }
            if let asked = input.rateLimit, asked.requests > caller.rateLimit.requests || asked.burst > caller.rateLimit.burst {
                throw OneError.validation("rateLimit", "rateLimit cannot exceed the rate limit of the key making it")
            }
            rateLimit = RateLimit(requests: min(rateLimit.requests, caller.rateLimit.requests), burst: min(rateLimit.burst, caller.rateLimit.burst))
        }
        if let limit = input.rateLimit {
            guard (1...100_000_000).contains(limit.requests) else {
                throw OneError.validation("rateLimit.requests", "rateLimit.requests must be between 1 and 100000000 per minute")
            }
            guard (1...100_000).contains(limit.burst) else {
                throw OneError.validation("rateLimit.burst", "rateLimit.burst must be between 1 and 100000")
            }
        }
        let personId = try Validate.optionalID(input.personId, .person, field: "personId")
        let secret = APIKeySecret.generate()
        let key = APIKey(
            id: ids.make(.apiKey), groupId: groupId, name: name, role: role, permissions: permissions,
            personId: input.personId, rateLimit: rateLimit, prefix: APIKeySecret.displayPrefix(secret),
            expiresAt: expiresAt, createdAt: now)
        let event = EventDraft(
            groupId: groupId, type: "api_key_created", actorId: caller?.actorId, targetId: key.id,
            metadata: ["name": .string(name), "role": .string(role.rawValue)])
        let hash = APIKeySecret.hash(secret)
        let stored = try await write { transaction in
            _ = try await TenantTree.writableChain(groupId, for: caller, transaction)
            // A key acts as a person only while they are a member here; held until this commits.
            if let personId, try await transaction.personForUpdate(id: personId, groupId: groupId) == nil {
                throw OneError(.notFound, "personId does not name a member of this group", field: "personId")
            }
            try await transaction.insertAPIKey(key, hash: hash)
            try await transaction.append(event)
            return key
        }
        return IssuedAPIKey(key: stored, secret: secret)
    }

    public func apiKeys(in scope: Scope, page: PageRequest) async throws -> Page<APIKey> {
        try AccessPolicy.require(scope.principal, .read, .keys)
        return try await store.apiKeys(groupId: scope.groupId, page: page)
    }

    /// Revokes a key: from the next request on it authenticates nothing.
    public func revokeAPIKey(id: String, in scope: Scope) async throws -> APIKey {
        try AccessPolicy.require(scope.principal, .delete, .keys)
        _ = try IDKind.apiKey.validate(id, field: "id")
        guard let key = try await store.apiKey(id: id, groupId: scope.groupId) else { throw OneError.notFound("API key") }
        guard key.role <= scope.principal.role else {
            throw OneError.forbidden("a \(scope.principal.role.rawValue) cannot revoke a \(key.role.rawValue) key")
        }
        return try await revoke(key, actorId: scope.principal.actorId)
    }

    /// Revokes a key by ID wherever it lives, for operators at the console (`one keys revoke`).
    public func revokeAPIKeyAsOperator(id: String) async throws -> APIKey {
        _ = try IDKind.apiKey.validate(id, field: "id")
        guard let key = try await store.apiKey(id: id) else { throw OneError.notFound("API key") }
        return try await revoke(key, actorId: nil)
    }

    /// Revokes a key. Allowed in archived groups too: it only takes access away.
    private func revoke(_ key: APIKey, actorId: String?) async throws -> APIKey {
        defer { keyCache.evict { $0.key.id == key.id } }
        return try await write { transaction in
            guard let current = try await transaction.apiKeyForUpdate(id: key.id, groupId: key.groupId) else {
                throw OneError.notFound("API key")
            }
            guard current.status == .active else { throw OneError.conflict("this API key is already revoked") }
            var revoked = current
            revoked.status = .revoked
            try await transaction.updateAPIKey(revoked)
            try await transaction.append(EventDraft(
                groupId: current.groupId, type: "api_key_revoked", actorId: actorId, targetId: current.id,
                change: Change.between(current, revoked)))
            return revoked
        }
    }
}
