import GRDB
import OneCore

/// The primitives of one write (see ``StoreTransaction``) on the writer connection, inside the
/// transaction and savepoint ``WriteBatcher`` opened for it.
///
/// Each primitive is one synchronous call on the writer: a statement from the page cache takes
/// microseconds, less than a hop to another thread. SQLite has one writer, so rows read here
/// need no lock to stay as read until the transaction ends.
final class SQLiteTransaction: StoreTransaction, @unchecked Sendable {
    // Used by one job at a time, inside its batch's transaction.
    private let writer: DatabasePool
    private let ids: IDGenerator
    private let clock: OneCore.Clock
    /// The events appended so far, with their sequences.
    private(set) var events: [Event] = []
    /// The group tree as the writer knows it.
    let tree: GroupTreeCache
    /// Usage changes of this batch's earlier writes and of this one, added to the counters
    /// once when the batch ends: writes in one subtree then cost one update per group a batch,
    /// not one per write.
    var stagedUsage: [String: GroupUsage]
    /// Counters as stored, read by this batch: they change only when the batch ends, so one
    /// read serves every write of the batch.
    var storedUsage: [String: GroupUsage]

    init(
        writer: DatabasePool, ids: IDGenerator, clock: OneCore.Clock, tree: GroupTreeCache,
        stagedUsage: [String: GroupUsage], storedUsage: [String: GroupUsage]
    ) {
        self.writer = writer
        self.ids = ids
        self.clock = clock
        self.tree = tree
        self.stagedUsage = stagedUsage
        self.storedUsage = storedUsage
    }

    /// Runs `work` on the writer connection, naming broken uniqueness rules.
    func run<T>(_ work: (Database) throws -> T) throws -> T {
        do {
            return try writer.writeWithoutTransaction(work)
        } catch let error as DatabaseError
            where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
        {
            throw UniqueViolation(Self.rule(error.message ?? ""))
        }
    }

    /// Runs one cached statement.
    func execute(_ sql: String, _ arguments: StatementArguments) throws {
        try run { db in try db.cachedStatement(sql: sql).execute(arguments: arguments) }
    }

    /// Runs one cached statement whose parameters `bind` sets in order.
    func execute(_ sql: String, binding bind: (inout StatementParameters) -> Void) throws {
        try run { db in try db.cachedStatement(sql: sql).execute(binding: bind) }
    }

    /// One row by a cached statement, decoded, or nil.
    func fetchOne<Item>(_ sql: String, _ arguments: StatementArguments, _ decode: (Row) throws -> Item) throws -> Item? {
        try run { db in try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments).map(decode) }
    }

    private static func rule(_ message: String) -> UniqueViolation.Rule {
        if message.contains("groups_sibling_slug") || message.contains("groups.slug") { return .groupSlug }
        if message.contains("memberships") { return .membership }
        if message.contains("persons.email") { return .identityEmail }
        if message.contains("oauth_accounts") { return .oauthAccount }
        if message.contains("connections") { return .liveConnection }
        if message.contains("sync_links") { return .syncLink }
        return .other
    }

    func append(_ draft: EventDraft) async throws {
        try await append(contentsOf: [draft])
    }

    /// One INSERT for up to a hundred events at a time, numbered from the log's high-water
    /// mark: this is the only writer, so the numbers it picks are the next ones.
    func append(contentsOf drafts: [EventDraft]) async throws {
        let timestamp = clock.now()
        try forEachRun(of: drafts, columns: 9) { run, values in
            var sequence = try fetchOne("SELECT seq FROM sqlite_sequence WHERE name = 'events'", []) { row in row[0] as Int64 } ?? 0
            var appended: [Event] = []
            appended.reserveCapacity(run.count)
            for draft in run {
                sequence += 1
                appended.append(Event(
                    id: ids.make(.event), groupId: draft.groupId, sequence: sequence, type: draft.type, actorId: draft.actorId,
                    targetId: draft.targetId, timestamp: timestamp, metadata: draft.metadata, change: draft.change))
            }
            try execute(
                "INSERT INTO events (sequence, id, groupId, type, actorId, targetId, timestamp, metadata, change) VALUES " + values
            ) { parameters in
                for (event, draft) in zip(appended, run) {
                    parameters.bind(event.sequence)
                    parameters.bind(event.id)
                    parameters.bind(draft.groupId)
                    parameters.bind(draft.type)
                    parameters.bind(draft.actorId)
                    parameters.bind(draft.targetId)
                    parameters.bind(timestamp)
                    parameters.bind(draft.metadataText)
                    parameters.bind(draft.changeText)
                }
            }
            events += appended
        }
    }

    /// Calls `body` for each run of at most a hundred of `rows`, with the `VALUES` placeholders of
    /// its rows, so a multi-row statement stays within SQLite's limit on bound variables.
    func forEachRun<Row>(of rows: [Row], columns: Int, _ body: (ArraySlice<Row>, String) throws -> Void) throws {
        let placeholder = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        for start in stride(from: 0, to: rows.count, by: 100) {
            let run = rows[start..<min(start + 100, rows.count)]
            try body(run, Array(repeating: placeholder, count: run.count).joined(separator: ", "))
        }
    }
}
