import OneCore
import PostgresNIO

extension PostgresStore {
    public func syncLinks(groupId: String, dimension: String, keys: [SyncKey]) async throws -> [SyncKey: String] {
        guard !keys.isEmpty else { return [:] }
        let rows = try await fetchAll(
            PostgresQuery(
                unsafeSQL: """
                    SELECT l.source, l.external_id, l.record_id FROM unnest($3::text[], $4::text[]) AS k(source, external_id)
                    JOIN sync_links AS l ON l.group_id = $1 AND l.dimension = $2
                        AND l.source = k.source AND l.external_id = k.external_id
                    """,
                binds: binds(groupId, dimension, keys.map(\.source), keys.map(\.externalId)))
        ) { row in
            let (source, externalId, recordId) = try row.decode((String, String, String).self)
            return (SyncKey(source: source, externalId: externalId), recordId)
        }
        return Dictionary(rows, uniquingKeysWith: { first, _ in first })
    }

    public func syncSecretGroup(hash: String) async throws -> String? {
        try await fetchOne("SELECT group_id FROM sync_secrets WHERE hash = \(hash)") { try $0.decode(String.self) }
    }
}

extension PostgresTransaction {
    func saveSyncLink(_ link: SyncLink, replacing: Bool) async throws {
        if replacing {
            try await query(
                """
                INSERT INTO sync_links (group_id, dimension, source, external_id, record_id)
                VALUES (\(link.groupId), \(link.dimension), \(link.key.source), \(link.key.externalId), \(link.recordId))
                ON CONFLICT (group_id, dimension, source, external_id) DO UPDATE SET record_id = excluded.record_id
                """)
        } else {
            try await query(
                """
                INSERT INTO sync_links (group_id, dimension, source, external_id, record_id)
                VALUES (\(link.groupId), \(link.dimension), \(link.key.source), \(link.key.externalId), \(link.recordId))
                """)
        }
    }

    func saveSyncSecret(groupId: String, hash: String, createdAt: Timestamp) async throws {
        try await query(
            """
            INSERT INTO sync_secrets (group_id, hash, created_at) VALUES (\(groupId), \(hash), \(createdAt))
            ON CONFLICT (group_id) DO UPDATE SET hash = excluded.hash, created_at = excluded.created_at
            """)
    }

    func deleteSyncSecret(groupId: String) async throws -> Bool {
        try await fetchOne("DELETE FROM sync_secrets WHERE group_id = \(groupId) RETURNING group_id") { try $0.decode(String.self) } != nil
    }
}
