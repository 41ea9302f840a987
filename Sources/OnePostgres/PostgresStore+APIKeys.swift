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

    public func apiKey(hash: String) async throws -> APIKey? {
        var found: APIKey?
        for try await key in try await client.execute(Prepared.APIKeyByHash(hash: hash), logger: logger) { found = key }
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

    public func createAPIKey(_ key: APIKey, hash: String, event: EventDraft) async throws -> APIKey {
        try await write { connection, log in
            try await self.admit(key.groupId, adding: nil, connection)
            try await self.insert(key, hash: hash, connection)
            log.stage(event)
            return key
        }
    }

    public func updateAPIKey(id: String, groupId: String, _ body: @escaping Update<APIKey>) async throws -> APIKey {
        try await write { connection, log in
            guard let current = try await self.fetchOne(
                PostgresQuery(unsafeSQL: Self.apiKeySelect + Self.lockedInGroup, binds: binds(id, groupId)), on: connection, APIKey.init(row:))
            else { throw OneError.notFound("API key") }
            let (updated, event) = try body(current)
            try await connection.query(
                "UPDATE api_keys SET name = \(updated.name), status = \(updated.status.rawValue), expires_at = \(updated.expiresAt) WHERE id = \(id)",
                logger: self.logger)
            log.stage(event)
            return updated
        }
    }

    public func touchAPIKey(id: String, at time: Timestamp) async throws {
        try await client.query(
            "UPDATE api_keys SET last_used_at = GREATEST(COALESCE(last_used_at, 0), \(time)) WHERE id = \(id)", logger: logger)
    }

    func insert(_ key: APIKey, hash: String, _ connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO api_keys (id, group_id, hash, name, role, permissions, person_id, rate_limit_requests, rate_limit_burst,
                prefix, expires_at, created_at, last_used_at, status)
            VALUES (\(key.id), \(key.groupId), \(hash), \(key.name), \(key.role.rawValue), \(key.permissions), \(key.personId),
                    \(Int64(key.rateLimit.requests)), \(Int64(key.rateLimit.burst)), \(key.prefix), \(key.expiresAt),
                    \(key.createdAt), \(key.lastUsedAt), \(key.status.rawValue))
            """, logger: logger)
    }
}
