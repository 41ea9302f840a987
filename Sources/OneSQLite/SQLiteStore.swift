import Foundation
import GRDB
import OneCore

/// The embedded ``Store``: one SQLite file in WAL mode through GRDB.
///
/// Reads run on a pool of reader connections and never wait for writes. Writes go through a
/// ``WriteBatcher`` that commits concurrent writes together with `synchronous = FULL`, so a
/// successful write survives a crash of the process or the machine; each runs the domain's
/// closure against a ``SQLiteTransaction``.
///
/// Reads are synchronous calls made from the request's task: a keyed read from the page cache
/// takes tens of microseconds, less than the cross-thread hop an async read costs (about 70 µs
/// across cores on the target machines), and request tasks run on Swift's cooperative pool, not
/// on NIO's event loops.
public final class SQLiteStore: Store {
    let pool: DatabasePool
    let batcher: WriteBatcher
    let ids: IDGenerator
    let clock: OneCore.Clock

    /// Opens (creating when missing) the database at `path` and migrates it.
    public init(path: String, clock: OneCore.Clock = .system) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = 8
        // A write batch's transaction stays open across the writer calls its primitives make
        // (see WriteBatcher); readers keep the default.
        configuration.allowsUnsafeTransactions = true
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        // DatabasePool sets synchronous to NORMAL after prepareDatabase; durability wants FULL.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try Self.migrator.migrate(pool)
        self.clock = clock
        ids = IDGenerator(clock: clock)
        batcher = WriteBatcher(writer: pool, ids: ids, clock: clock)
    }

    public func ping() async throws {
        _ = try read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func write<T: Sendable>(_ body: @escaping WriteBody<T>) async throws -> Committed<T> {
        try await batcher.write { transaction in try await body(transaction) }
    }

    // MARK: Running statements

    /// Runs `work` synchronously on a reader connection (see the type's notes), outside an
    /// explicit transaction: every read here is one statement, which SQLite already runs on one
    /// snapshot, so BEGIN and COMMIT would only add two round trips.
    func read<T>(_ work: (Database) throws -> T) throws -> T {
        try pool.unsafeRead(work)
    }

    /// One row by a cached statement, or nil.
    func fetchRow(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws -> Row? {
        try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    /// A keyset page: rows matching `conditions`, ordered by `key` descending unless `ascending`,
    /// after the key value `after`, fetching one extra row to learn whether more exist.
    func fetchPage<Item>(
        _ db: Database, from table: String, where conditions: [String], _ arguments: StatementArguments,
        columns: String = "*", key: String = "id", ascending: Bool = false, page: PageRequest,
        after: (any DatabaseValueConvertible)? = nil, decode: (Row) throws -> Item, cursor: (Item) -> String
    ) throws -> Page<Item> {
        var conditions = conditions
        var arguments = arguments
        if let after = after ?? page.after {
            conditions.append("\(key) \(ascending ? ">" : "<") ?")
            _ = arguments.append(contentsOf: [after])
        }
        let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT \(columns) FROM \(table) \(clause) ORDER BY \(key) \(ascending ? "ASC" : "DESC") LIMIT ?"
        _ = arguments.append(contentsOf: [page.limit + 1])
        let rows = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
        return Page(fetched: try rows.map(decode), limit: page.limit, key: cursor)
    }
}

/// Parses a JSON array-of-strings column.
func stringArray(_ text: String) throws -> [String] {
    guard let strings = try JSONValue(storedText: text).stringArray else {
        throw OneError(.internal, "a stored list is not an array of strings")
    }
    return strings
}

extension JSONValue {
    /// Parses a JSON column, treating NULL as an empty object.
    init(column text: String?) throws {
        guard let text else {
            self = [:]
            return
        }
        self = try JSONValue(storedText: text)
    }
}

/// The SQL condition confining a list to its group, or to its group and the subgroups a query
/// names, with its argument.
func groupCondition(_ groupId: String, _ subgroupIds: [String]) -> (sql: String, argument: String) {
    subgroupIds.isEmpty
        ? ("groupId = ?", groupId)
        : ("groupId IN (SELECT value FROM json_each(?))", JSONValue([groupId] + subgroupIds).jsonText())
}
