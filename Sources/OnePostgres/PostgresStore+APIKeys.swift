import OneCore
import PostgresNIO

extension APIKey {
    init(row: PostgresRow) throws {
        let columns = Columns(row)
        self.init(
            id: try columns("id"), groupId: try columns("group_id"), name: try columns("name"), role: try columns.role("role"),
            permissions: try columns("permissions"), personId: try columns("person_id"),
            rateLimit: RateLimit(requests: try columns("rate_limit_requests"), burst: try columns("rate_limit_burst")),
            prefix: try columns("prefix"), expiresAt: try columns("expires_at"), createdAt: try columns("created_at"),
            lastUsedAt: try columns("last_used_at"), status: APIKey.Status(rawValue: try columns("status")) ?? .revoked)
    }
}

extension PostgresStore {
    static let apiKeySelect = """
        SELECT id, group_id, name, role, permissions, person_id, rate_limit_requests, rate_limit_burst, prefix, expires_at,
               created_at, last_used_at, status FROM api_keys
        """

    public func credential(hash: String) async throws -> Credential? {
        var found: Credential?
        for try await credential in try await client.execute(Prepared.CredentialByHash(hash: hash), logger: logger) {
            found = credential
        }
        return found
    }

    public func apiKey(id: String, groupId: String) async throws -> APIKey? {
        try await fetchOne(PostgresQuery(unsafeSQL: Self.apiKeySelect + " WHERE id = $1 AND group_id = $2", binds: binds(id, groupId)), APIKey.init(row:))
    }

    public func apiKey(id: String) async throws -> APIKey? {
        try await fetchOne(PostgresQuery(unsafeSQL: Self.apiKeySelect + " WHERE id = $1", binds: binds(id)), APIKey.init(row:))
    }

    public func apiKeys(groupId: String, page: PageRequest) async throws -> Page<APIKey> {
        var conditions = Conditions()
        conditions.add("group_id", groupId)
        return try await fetchPage(Self.apiKeySelect, where: conditions, page: page, decode: APIKey.init(row:), cursor: \.id)
    }

    public func touchAPIKey(id: String, at time: Timestamp) async throws {
        try await client.query(
            "UPDATE api_keys SET last_used_at = GREATEST(COALESCE(last_used_at, 0), \(time)) WHERE id = \(id)", logger: logger)
    }
}

extension PostgresTransaction {
    func apiKeyForUpdate(id: String, groupId: String) async throws -> APIKey? {
        try await fetchOne(
            PostgresQuery(unsafeSQL: PostgresStore.apiKeySelect + PostgresStore.lockedInGroup, binds: binds(id, groupId)),
            APIKey.init(row:))
    }

    func activeAPIKeyIds(personId: String, groupId: String) async throws -> [String] {
        try await fetchAll(
            "SELECT id FROM api_keys WHERE group_id = \(groupId) AND person_id = \(personId) AND status = 'active' ORDER BY id"
        ) { try $0.decode(String.self) }
    }

    func insertAPIKey(_ key: APIKey, hash: String) async throws {
        try await query(
            """
            INSERT INTO api_keys (id, group_id, hash, name, role, permissions, person_id, rate_limit_requests, rate_limit_burst,
                prefix, expires_at, created_at, last_used_at, status)
            VALUES (\(key.id), \(key.groupId), \(hash), \(key.name), \(key.role.rawValue), \(key.permissions), \(key.personId),
                    \(Int64(key.rateLimit.requests)), \(Int64(key.rateLimit.burst)), \(key.prefix), \(key.expiresAt),
                    \(key.createdAt), \(key.lastUsedAt), \(key.status.rawValue))
            """)
    }

    func updateAPIKey(_ key: APIKey) async throws {
        try await query(
            """
            UPDATE api_keys SET name = \(key.name), status = \(key.status.rawValue), expires_at = \(key.expiresAt)
            WHERE id = \(key.id) AND group_id = \(key.groupId)
            """)
    }
}
