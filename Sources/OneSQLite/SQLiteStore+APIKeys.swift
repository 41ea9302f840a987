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
    public func apiKey(hash: String) async throws -> APIKey? {
        try read { db in try fetchRow(db, "SELECT * FROM api_keys WHERE hash = ?", [hash]).map(APIKey.init(row:)) }
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

    public func createAPIKey(_ key: APIKey, hash: String, event: EventDraft) async throws -> APIKey {
        try await write { db in
            try self.admit(key.groupId, adding: nil, db)
            try self.insert(key, hash: hash, db)
            _ = try self.append(event, db)
            return key
        }
    }

    public func updateAPIKey(id: String, groupId: String, _ body: @escaping Update<APIKey>) async throws -> APIKey {
        try await write { db in
            guard let current = try self.fetchRow(db, "SELECT * FROM api_keys WHERE id = ? AND groupId = ?", [id, groupId])
                .map(APIKey.init(row:))
            else { throw OneError.notFound("API key") }
            let (updated, event) = try body(current)
            try db.cachedStatement(sql: "UPDATE api_keys SET name = ?, status = ?, expiresAt = ? WHERE id = ?")
                .execute(arguments: [updated.name, updated.status.rawValue, updated.expiresAt, id])
            _ = try self.append(event, db)
            return updated
        }
    }

    public func touchAPIKey(id: String, at time: Timestamp) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE api_keys SET lastUsedAt = MAX(COALESCE(lastUsedAt, 0), ?) WHERE id = ?")
                .execute(arguments: [time, id])
        }
    }

    func insert(_ key: APIKey, hash: String, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO api_keys (id, groupId, hash, name, role, permissions, personId, rateLimitRequests,
                    rateLimitBurst, prefix, expiresAt, createdAt, lastUsedAt, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            key.id, key.groupId, hash, key.name, key.role.rawValue, JSONValue(key.permissions).jsonText(), key.personId,
            key.rateLimit.requests, key.rateLimit.burst, key.prefix, key.expiresAt, key.createdAt, key.lastUsedAt,
            key.status.rawValue,
        ])
    }
}
