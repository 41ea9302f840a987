import Foundation
import GRDB
import OneCore
import PostgresNIO
import Testing

@testable import OnePostgres
@testable import OneSQLite

/// Stores made before the tenant-tree migration: their usage counters are filled in from their
/// rows, and their people keep the IDs they had.
@Suite("Migrations")
struct MigrationTests {
    static let root = "grp_01hx5z3k7m9pqrstvwxyz0abc1"
    static let child = "grp_01hx5z3k7m9pqrstvwxyz0abc2"
    static let person = "usr_01hx5z3k7m9pqrstvwxyz0abc3"
    static let key = "key_01hx5z3k7m9pqrstvwxyz0abc4"

    /// Rows as the first schema held them: a root with a child, two live things and an archived
    /// one in the child, a member of the child and a key bound to them. Column names are given
    /// per store (`snake` for PostgreSQL).
    static func v1Rows(snake: Bool) -> [String] {
        func c(_ name: String) -> String {
            snake ? name.replacing(/[A-Z]/) { "_" + $0.output.lowercased() } : name
        }
        let json = snake ? "'{}'::jsonb" : "'{}'"
        let list = snake ? "'{}'::text[]" : "'[]'"
        return [
            "INSERT INTO groups (id, slug, name, type, \(c("parentGroupId")), metadata, settings, status, \(c("createdAt")), \(c("updatedAt"))) VALUES ('\(root)', 'root', 'Root', 'business', NULL, \(json), \(json), 'active', 1, 1)",
            "INSERT INTO groups (id, slug, name, type, \(c("parentGroupId")), metadata, settings, status, \(c("createdAt")), \(c("updatedAt"))) VALUES ('\(child)', 'child', 'Child', 'business', '\(root)', \(json), \(json), 'active', 1, 1)",
        ] + ["thg_01hx5z3k7m9pqrstvwxyz0abd1", "thg_01hx5z3k7m9pqrstvwxyz0abd2", "thg_01hx5z3k7m9pqrstvwxyz0abd3"].enumerated().map { index, id in
            "INSERT INTO things (id, \(c("groupId")), type, name, properties, status, \(c("createdAt")), \(c("updatedAt")), \(c("deletedAt"))) VALUES ('\(id)', '\(child)', 'course', 'T', \(json), 'active', 1, 1, \(index == 2 ? "5" : "NULL"))"
        } + [
            "INSERT INTO persons (id, email, \(c("createdAt"))) VALUES ('\(person)', 'old@example.com', 1)",
            "INSERT INTO memberships (id, \(c("personId")), \(c("groupId")), name, role, permissions, \(c("createdAt")), \(c("updatedAt"))) VALUES ('mem_01hx5z3k7m9pqrstvwxyz0abc5', '\(person)', '\(child)', 'Old', 'group_owner', \(list), 1, 1)",
            "INSERT INTO api_keys (id, \(c("groupId")), hash, name, role, permissions, \(c("personId")), \(c("rateLimitRequests")), \(c("rateLimitBurst")), prefix, \(c("createdAt")), status) VALUES ('\(key)', '\(child)', 'old-hash', 'k', 'group_owner', \(list), '\(person)', 10, 10, 'gsk_x', 1, 'active')",
        ]
    }

    static func checkMigrated(_ store: any Store) async throws {
        #expect(try await store.usage(of: root) == GroupUsage(
            own: UsageCounts(groups: 1), subtree: UsageCounts(groups: 1, things: 2, people: 1)))
        #expect(try await store.usage(of: child) == GroupUsage(
            own: UsageCounts(things: 2, people: 1), subtree: UsageCounts(things: 2, people: 1)))
        #expect(try await store.person(id: person, groupId: child)?.email == "old@example.com")
        #expect(try await store.credential(hash: "old-hash")?.personRole == .groupOwner)
        // And the domain carries on from the filled-in counters.
        let service = OneService(store: store, ontology: try Ontology.base())
        let principal = try await service.authenticate(secret: try await {
            let issued = try await service.createAPIKeyAsOperator(NewAPIKey(name: "op", role: "platform_owner"), groupId: root)
            return issued.secret
        }())
        _ = try await service.createThing(NewThing(type: "course", name: "new"), in: try await service.scope(for: principal, groupId: child))
        #expect(try await store.usage(of: root)?.subtree.things == 3)
    }

    @Test("SQLite: a store at the first schema is migrated with its usage filled in")
    func sqlite() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("one-migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("one.sqlite").path
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteStore.migrator.migrate(pool, upTo: "v1: ontology")
            try await pool.write { db in for statement in Self.v1Rows(snake: false) { try db.execute(sql: statement) } }
        }
        try await Self.checkMigrated(try SQLiteStore(path: path))
    }

    @Test("SQLite: chunks indexed by FTS5 before v6 are found by text search after it, and FTS5 is gone")
    func sqliteTextSearch() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("one-migration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("one.sqlite").path
        let chunk = "knw_01hx5z3k7m9pqrstvwxyz0abe1"
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteStore.migrator.migrate(pool, upTo: "v5: knowledge search")
            try await pool.write { db in
                for statement in Self.v1Rows(snake: false).prefix(2) { try db.execute(sql: statement) }
                try db.execute(
                    sql: """
                        INSERT INTO knowledge (id, groupId, type, text, labels, metadata, createdAt, updatedAt)
                        VALUES (?, ?, 'chunk', 'Sourdough needs a lively starter.', '[]', '{}', 1, 1)
                        """, arguments: [chunk, Self.child])
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM knowledge_fts") == 1)
            }
        }
        let store = try SQLiteStore(path: path)
        let tables = try store.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name LIKE 'knowledge_fts%' OR name = 'knowledge_search'")
        }
        #expect(tables.isEmpty)
        let service = OneService(store: store, ontology: try Ontology.base())
        let issued = try await service.createAPIKeyAsOperator(NewAPIKey(name: "op", role: "platform_owner"), groupId: Self.root)
        let scope = try await service.scope(for: try await service.authenticate(secret: issued.secret), groupId: Self.child)
        let found = try await service.searchKnowledge(KnowledgeSearch(query: "starters", mode: .text), in: scope)
        #expect(found.results.map(\.id) == [chunk])
    }

    @Test("PostgreSQL: a store at the first schema is migrated with its usage filled in", .enabled(if: TestStore.postgresAdminURL != nil))
    func postgres() async throws {
        try await PostgresTestDatabase.withFreshDatabase { url in
            let store = try PostgresStore(url: url)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await store.run() }
                defer { group.cancelAll() }
                try await store.migrate(through: "v1: ontology")
                for statement in Self.v1Rows(snake: true) {
                    try await store.client.query(PostgresQuery(unsafeSQL: statement), logger: store.logger)
                }
                try await store.migrate()
                try await Self.checkMigrated(store)
            }
        }
    }
}
