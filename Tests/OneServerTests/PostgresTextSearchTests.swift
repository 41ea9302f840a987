import Foundation
import Logging
import OneCore
import OnePostgres
import PostgresNIO
import Testing

@Suite("PostgreSQL text match", .enabled(if: TestStore.postgresAdminURL != nil, "ONE_TEST_DATABASE_URL is not set: PostgreSQL runs are skipped"))
struct PostgresTextSearchTests {
    @Test("?q= on names is served by the trigram index, not by scanning the group's things")
    func trigramPlan() async throws {
        try await PostgresTestDatabase.withFreshDatabase { url in
            let store = try PostgresStore(url: url)
            try await store.withRunning {
                let service = OneService(store: store, ontology: try Ontology.base())
                let platform = try await service.bootstrap()
                var logger = Logger(label: "test")
                logger.logLevel = .error
                let client = PostgresClient(configuration: try PostgresStore.configuration(url: url), backgroundLogger: logger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await client.run() }
                    defer { group.cancelAll() }
                    // 20,000 things in one group, one of them with a rare word in its name.
                    try await client.query(
                        """
                        INSERT INTO things (id, group_id, type, name, properties, status, created_at, updated_at)
                        SELECT 'thg_' || lpad(n::text, 26, '0'), \(platform.groupId), 'course',
                               CASE WHEN n = 12345 THEN 'Quantum xylophones' ELSE 'Course number ' || n END, '{}', 'active', 0, 0
                        FROM generate_series(1, 20000) AS n
                        """, logger: logger)
                    // What autovacuum does after a bulk load: statistics for the planner, including the GIN index's.
                    try await client.query("VACUUM ANALYZE things", logger: logger)
                    let found = try await store.things(ThingQuery(groupId: platform.groupId, text: "xylophone"), page: PageRequest(limit: 20))
                    #expect(found.items.map(\.name) == ["Quantum xylophones"])
                    let plan = try await client.query(
                        """
                        EXPLAIN SELECT * FROM things WHERE group_id = \(platform.groupId) AND deleted_at IS NULL
                        AND name ILIKE '%xylophone%' ORDER BY id DESC LIMIT 21
                        """, logger: logger)
                    var lines: [String] = []
                    for try await line in plan.decode(String.self) { lines.append(line) }
                    let text = lines.joined(separator: "\n")
                    #expect(text.contains("things_name_trigram"), "plan:\n\(text)")
                    #expect(!text.contains("Seq Scan"), "plan:\n\(text)")
                }
            }
        }
    }
}
