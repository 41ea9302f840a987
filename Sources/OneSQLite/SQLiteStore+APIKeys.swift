import GRDB
import OneCore

extension APIKey {
    init(row: Row) throws {
        self.init(
            id: row["id"], groupId: row["groupId"], name: row["name"], role: try Role(column: row["role"]),
            permissions: try stringArray(row["permissions"]), personId: row["personId"],
            rateLimit: RateLimit(requests: row["rateLimitRequests"], burst: row["rateLimitBurst"]), prefix: row["prefix"],
            expiresAt: row["expiresAt"], createdAt: row["createdAt"], lastUsedAt: row["lastUsedAt"],
            status: APIKey.Status(rawValue: row["status"]) ?? .revoked)
    }
}

extension SQLiteStore {
    public func credential(hash: String) async throws -> Credential? {
        try read { db in
            try fetchRow(
                db,
                """
                SELECT k.*, m.role AS personRole FROM api_keys k
                LEFT JOIN memberships m ON m.groupId = k.groupId AND m.personId = k.personId
                WHERE k.hash = ?
                """, [hash]
            ).map { row in
                let personRole: String? = row["personRole"]
                return Credential(key: try APIKey(row: row), personRole: try personRole.map(Role.init(column:)))
            }
        }
    }

    public func apiKey(id: String, groupId: String) async throws -> APIKey? {
        try read { db in
            try fetchRow(db, "SELECT * FROM api_keys WHERE id = ? AND groupId = ?", [id, groupId]).map(APIKey.init(row:))
        }
    }

    public func apiKey(id: String) async throws -> APIKey? {
        try read { db in try fetchRow(db, "SELECT * FROM api_keys WHERE id = ?", [id]).map(APIKey.init(row:)) }
    }

    public func apiKeys(groupId: String, page: PageRequest) async throws -> Page<APIKey> {
        try read { db in
            try fetchPage(
                db, from: "api_keys", where: ["groupId = ?"], [groupId], page: page, decode: APIKey.init(row:),
                cursor: \.id)
        }
    }

    public func touchAPIKey(id: String, at time: Timestamp) async throws {
        _ = try await batcher.write { transaction in
            try transaction.execute(
                "UPDATE api_keys SET lastUsedAt = MAX(COALESCE(lastUsedAt, 0), ?) WHERE id = ?", [time, id])
        }
    }
}

extension SQLiteTransaction {
    func apiKeyForUpdate(id: String, groupId: String) async throws -> APIKey? {
        try fetchOne("SELECT * FROM api_keys WHERE id = ? AND groupId = ?", [id, groupId], APIKey.init(row:))
    }

    func activeAPIKeyIds(personId: String, groupId: String) async throws -> [String] {
        try run { db in
            try String.fetchAll(
                db.cachedStatement(sql: "SELECT id FROM api_keys WHERE groupId = ? AND personId = ? AND status = 'active' ORDER BY id"),
                arguments: [groupId, personId])
        }
    }

    func insertAPIKey(_ key: APIKey, hash: String) async throws {
        try execute(
            """
            INSERT INTO api_keys (id, groupId, hash, name, role, permissions, personId, rateLimitRequests,
                rateLimitBurst, prefix, expiresAt, createdAt, lastUsedAt, status)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                key.id, key.groupId, hash, key.name, key.role.rawValue, JSONValue(key.permissions).jsonText(),
                key.personId, key.rateLimit.requests, key.rateLimit.burst, key.prefix, key.expiresAt, key.createdAt,
                key.lastUsedAt, key.status.rawValue,
            ])
    }

    func updateAPIKey(_ key: APIKey) async throws {
        try execute(
            "UPDATE api_keys SET name = ?, status = ?, expiresAt = ? WHERE id = ? AND groupId = ?",
            [key.name, key.status.rawValue, key.expiresAt, key.id, key.groupId])
    }
}
