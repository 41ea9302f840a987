import GRDB
import OneCore

extension SQLiteStore {
    public func syncLinks(groupId: String, dimension: String, keys: [SyncKey]) async throws -> [SyncKey: String] {
        // One lookup per source, by the primary key's prefix: a batch usually comes from one.
        let bySource = Dictionary(grouping: keys, by: \.source).mapValues { $0.map(\.externalId) }
        return try read { db in
            var links: [SyncKey: String] = [:]
            let statement = try db.cachedStatement(sql: """
                SELECT externalId, recordId FROM sync_links
                WHERE groupId = ? AND dimension = ? AND source = ? AND externalId IN (SELECT value FROM json_each(?))
                """)
            for (source, externalIds) in bySource {
                let rows = try Row.fetchCursor(statement, arguments: [groupId, dimension, source, JSONValue(externalIds).jsonText()])
                while let row = try rows.next() {
                    links[SyncKey(source: source, externalId: row["externalId"])] = row["recordId"]
                }
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
