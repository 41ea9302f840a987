import Logging
import OneCore
import PostgresNIO

/// The primitives of one write (see ``StoreTransaction``) on its batch's connection, inside
/// the transaction ``PostgresWriteBatcher`` opened.
///
/// Events and usage changes are staged, not written: the batch applies them all in its last
/// statements (see ``PostgresStore/finish(_:on:ids:clock:logger:)``), so concurrent batches
/// meet only there. Usage rows a write reads to check a limit are locked at once and read with
/// the batch's staged changes added, so a burst at a limit admits exactly the limit.
final class PostgresTransaction: StoreTransaction, @unchecked Sendable {
    // Used by one job at a time, inside its batch's transaction.
    let connection: PostgresConnection
    let logger: Logger
    /// The usage changes staged by this batch's earlier writes and by this one.
    private(set) var batchUsage: [String: GroupUsage]
    /// The events this write staged.
    private(set) var drafts: [EventDraft] = []

    init(connection: PostgresConnection, logger: Logger, batchUsage: [String: GroupUsage]) {
        self.connection = connection
        self.logger = logger
        self.batchUsage = batchUsage
    }

    func query(_ query: PostgresQuery) async throws {
        try await connection.query(query, logger: logger)
    }

    /// All rows of a query, decoded.
    func fetchAll<Item>(_ query: PostgresQuery, _ decode: (PostgresRow) throws -> Item) async throws -> [Item] {
        var items: [Item] = []
        for try await row in try await connection.query(query, logger: logger) { items.append(try decode(row)) }
        return items
    }

    func fetchOne<Item>(_ query: PostgresQuery, _ decode: (PostgresRow) throws -> Item) async throws -> Item? {
        try await fetchAll(query, decode).first
    }

    /// The rows of a prepared statement.
    func execute<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> [Statement.Row] {
        var rows: [Statement.Row] = []
        for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
        return rows
    }

    func append(_ draft: EventDraft) async throws {
        drafts.append(draft)
    }

    func usageForUpdate(of groupIds: [String]) async throws -> [String: GroupUsage] {
        let rows = try await fetchAll(
            "SELECT \(unescaped: PostgresStore.usageColumns) FROM group_usage WHERE group_id = ANY(\(groupIds)) ORDER BY group_id FOR UPDATE",
            PostgresStore.usage(row:))
        var usage: [String: GroupUsage] = [:]
        for (groupId, stored) in rows {
            let staged = batchUsage[groupId] ?? GroupUsage()
            usage[groupId] = GroupUsage(own: stored.own + staged.own, subtree: stored.subtree + staged.subtree)
        }
        return usage
    }

    func addUsage(_ delta: UsageCounts, own groupId: String?, subtreeOf groupIds: [String]) async throws {
        if let groupId { batchUsage[groupId, default: GroupUsage()].own = batchUsage[groupId, default: GroupUsage()].own + delta }
        for id in groupIds { batchUsage[id, default: GroupUsage()].subtree = batchUsage[id, default: GroupUsage()].subtree + delta }
    }
}
