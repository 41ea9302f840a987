import GRDB
import OneCore

extension SQLiteStore {
    public func syncLinks(groupId: String, dimension: String, keys: [SyncKey]) async throws -> [SyncKey: String] {
        guard !keys.isEmpty else { return [:] }
        let pairs = JSONValue.array(keys.map { JSONValue([$0.source, $0.externalId]) })
        return try read { db in
            var links: [SyncKey: String] = [:]
            let rows = try Row.fetchCursor(
                db.cachedStatement(sql: """
                    SELECT l.source, l.externalId, l.recordId FROM json_each(?) AS k
                    JOIN sync_links AS l ON l.groupId = ? AND l.dimension = ?
                        AND l.source = json_extract(k.value, '$[0]') AND l.externalId = json_extract(k.value, '$[1]')
                    """),
                arguments: [pairs.jsonText(), groupId, dimension])
            while let row = try rows.next() {
                links[SyncKey(source: row["source"], externalId: row["externalId"])] = row["recordId"]
            }
            return links
        }
    }

    public func syncSecretGroup(hash: String) async throws -> String? {
        try read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT groupId FROM sync_secrets WHERE hash = ?"), arguments: [hash])
        }
    }
}

extension SQLiteTransaction {
    func saveSyncLink(_ link: SyncLink, replacing: Bool) async throws {
        try execute(
            """
            INSERT INTO sync_links (groupId, dimension, source, externalId, recordId) VALUES (?, ?, ?, ?, ?)
            """ + (replacing ? " ON CONFLICT (groupId, dimension, source, externalId) DO UPDATE SET recordId = excluded.recordId" : ""),
            [link.groupId, link.dimension, link.key.source, link.key.externalId, link.recordId])
    }

    func saveSyncSecret(groupId: String, hash: String, createdAt: Timestamp) async throws {
        try execute(
            """
            INSERT INTO sync_secrets (groupId, hash, createdAt) VALUES (?, ?, ?)
            ON CONFLICT (groupId) DO UPDATE SET hash = excluded.hash, createdAt = excluded.createdAt
            """,
            [groupId, hash, createdAt])
    }

    func deleteSyncSecret(groupId: String) async throws -> Bool {
        try run { db in
            try db.cachedStatement(sql: "DELETE FROM sync_secrets WHERE groupId = ?").execute(arguments: [groupId])
            return db.changesCount > 0
        }
    }
}
