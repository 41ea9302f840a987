import Logging
import OneCore
import PostgresNIO

/// The primitives of one write (see ``StoreTransaction``) on its batch's connection, inside
/// the transaction ``PostgresWriteBatcher`` opened.
///
/// Events and usage changes are staged, not written: the batch applies them all in its last
/// statements (see ``PostgresStore/finish(_:on:ids:clock:logger:)``), so concurrent batches
/// meet only there.
///
/// Bounded usage additions are checked optimistically: against the counters as last committed
/// plus what the batch staged, without locks, and then again when the batch adds its changes
/// up, under the row locks that last statement takes. A batch whose counters would pass a
/// bound then runs again with `locking` set: each check then locks the counters it reads, so a
/// burst at a limit admits exactly the limit, while batches far from their limits never wait
/// for each other.
final class PostgresTransaction: StoreTransaction, @unchecked Sendable {
    // Used by one job at a time, inside its batch's transaction.
    let connection: PostgresConnection
    let logger: Logger
    /// Whether usage checks lock the counters they read.
    let locking: Bool
    /// What this batch's earlier writes and this one staged.
    private(set) var staged: PostgresWriteBatcher.Tail
    /// Whether this write refused a bounded addition without holding locks, so the refusal
    /// must be confirmed under locks.
    private(set) var refusedOptimistically = false
    /// Subtree usage as committed when group chains were read, so an optimistic bounded
    /// addition needs no second read.
    var knownUsage: [String: UsageCounts] = [:]

    init(connection: PostgresConnection, logger: Logger, locking: Bool, staged: PostgresWriteBatcher.Tail) {
        self.connection = connection
        self.logger = logger
        self.locking = locking
        self.staged = staged
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
        staged.drafts.append(draft)
    }

    func usageForUpdate(of groupIds: [String]) async throws -> [String: GroupUsage] {
        try await usage(of: groupIds, locking: true)
    }

    /// The counters as stored (locked when `locking`), with what the batch staged added.
    private func usage(of groupIds: [String], locking: Bool) async throws -> [String: GroupUsage] {
        let lock = locking ? " ORDER BY group_id FOR UPDATE" : ""
        let rows = try await fetchAll(
            "SELECT \(unescaped: PostgresStore.usageColumns) FROM group_usage WHERE group_id = ANY(\(groupIds))\(unescaped: lock)",
            PostgresStore.usage(row:))
        var usage: [String: GroupUsage] = [:]
        for (groupId, stored) in rows { usage[groupId] = stored + (staged.usage[groupId] ?? GroupUsage()) }
        return usage
    }

    func addUsage(
        _ delta: UsageCounts, own groupId: String?, subtreeOf groupIds: [String], within bounds: [String: UsageBound]
    ) async throws -> [String] {
        if !bounds.isEmpty {
            var usage: [String: UsageCounts] = [:]
            if !locking, bounds.keys.allSatisfy({ knownUsage[$0] != nil }) {
                for id in bounds.keys { usage[id] = knownUsage[id]! + (staged.usage[id]?.subtree ?? .zero) }
            } else {
                for (id, read) in try await self.usage(of: Array(bounds.keys), locking: locking) { usage[id] = read.subtree }
            }
            let full = UsageChanges.pastBounds(bounds, adding: delta, to: usage, among: groupIds)
            if !full.isEmpty {
                refusedOptimistically = !locking
                return full
            }
            // Checked without locks: the batch checks again once it adds its changes up.
            if !locking {
                for (id, bound) in bounds { staged.bounds[id, default: [:]].merge(bound) { min($0, $1) } }
            }
        }
        staged.usage.add(delta, own: groupId, subtreeOf: groupIds)
        return []
    }
}
