import Foundation
import GRDB
import OneCore

/// The embedded ``Store``: one SQLite file in WAL mode through GRDB.
///
/// Reads run on a pool of reader connections and never wait for writes. Writes go through a
/// ``WriteBatcher`` that commits concurrent writes together with `synchronous = FULL`, so a
/// successful write survives a crash of the process or the machine.
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
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        // DatabasePool sets synchronous to NORMAL after prepareDatabase; durability wants FULL.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try Self.migrator.migrate(pool)
        batcher = WriteBatcher(writer: pool)
        self.clock = clock
        ids = IDGenerator(clock: clock)
    }

    public func ping() async throws {
        _ = try read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func bootstrap(_ seed: BootstrapSeed) async throws {
        try await write { db in
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM groups") == 0 else {
                throw OneError(.alreadyInitialized, "this store is already initialised; its first key was shown once and is not shown again")
            }
            try self.insert(seed.group, db)
            _ = try self.insertMember(seed.person, membershipId: seed.membershipId, db)
            try self.insert(seed.key, hash: seed.keyHash, db)
            for draft in seed.events { _ = try self.append(draft, db) }
        }
    }

    // MARK: Running statements

    /// Runs `work` synchronously on a reader connection (see the type's notes), outside an
    /// explicit transaction: every read here is one statement, which SQLite already runs on one
    /// snapshot, so BEGIN and COMMIT would only add two round trips.
    func read<T>(_ work: (Database) throws -> T) throws -> T {
        try pool.unsafeRead(work)
    }

    /// Runs `work` in the next group-committed transaction.
    func write<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await batcher.write(work)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw OneError.conflict(Self.conflictMessage(error))
        }
    }

    private static func conflictMessage(_ error: DatabaseError) -> String {
        let message = error.message ?? ""
        if message.contains("groups.slug") || message.contains("groups_sibling_slug") || message.contains("groups.parentGroupId") {
            return "a group with this slug already exists beside it"
        }
        if message.contains("memberships") { return "this person is already a member of the group" }
        if message.contains("connections") { return "a connection with the same fromId, toId and type already exists" }
        return "this record conflicts with an existing one"
    }

    /// One row by a cached statement, or nil.
    func fetchRow(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws -> Row? {
        try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    /// A keyset page: rows matching `conditions`, ordered by `key` descending unless `ascending`,
    /// after the key value `after`, fetching one extra row to learn whether more exist.
    func fetchPage<Item>(
        _ db: Database, from table: String, where conditions: [String], _ arguments: StatementArguments,
        key: String = "id", ascending: Bool = false, page: PageRequest,
        after: (any DatabaseValueConvertible)? = nil, decode: (Row) throws -> Item, cursor: (Item) -> String
    ) throws -> Page<Item> {
        var conditions = conditions
        var arguments = arguments
        if let after = after ?? page.after {
            conditions.append("\(key) \(ascending ? ">" : "<") ?")
            _ = arguments.append(contentsOf: [after])
        }
        let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT * FROM \(table) \(clause) ORDER BY \(key) \(ascending ? "ASC" : "DESC") LIMIT ?"
        _ = arguments.append(contentsOf: [page.limit + 1])
        let rows = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
        return Page(fetched: try rows.map(decode), limit: page.limit, key: cursor)
    }

    /// Appends an event inside the current transaction; its sequence is the row's place in the log.
    func append(_ draft: EventDraft, _ db: Database) throws -> Event {
        let id = ids.make(.event)
        let timestamp = clock.now()
        let change = draft.change.map { $0.json.jsonText() }
        try db.cachedStatement(
            sql: """
                INSERT INTO events (id, groupId, type, actorId, targetId, timestamp, metadata, change)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            id, draft.groupId, draft.type, draft.actorId, draft.targetId, timestamp, draft.metadata.jsonText(), change,
        ])
        return Event(
            id: id, groupId: draft.groupId, sequence: db.lastInsertedRowID, type: draft.type, actorId: draft.actorId,
            targetId: draft.targetId, timestamp: timestamp, metadata: draft.metadata, change: draft.change)
    }

    /// Checks, inside the write, that the group accepts it (see ``Group/admitWrite(adding:currentCount:)``).
    func admit(_ groupId: String, adding resource: QuotaResource?, _ db: Database) throws {
        guard let group = try fetchRow(db, "SELECT * FROM groups WHERE id = ?", [groupId]).map(Group.init(row:)) else {
            throw OneError.notFound("group")
        }
        try group.admitWrite(adding: resource) {
            let sql: String = switch resource {
            case .things: "SELECT COUNT(*) FROM things WHERE groupId = ? AND deletedAt IS NULL"
            case .connections: "SELECT COUNT(*) FROM connections WHERE groupId = ? AND deletedAt IS NULL"
            case .knowledge: "SELECT COUNT(*) FROM knowledge WHERE groupId = ? AND deletedAt IS NULL"
            case .people: "SELECT COUNT(*) FROM memberships WHERE groupId = ?"
            case .storage, .apiCalls, nil: "SELECT 0 WHERE ? IS NOT NULL"
            }
            return try Int.fetchOne(db.cachedStatement(sql: sql), arguments: [groupId]) ?? 0
        }
    }
}

/// Parses a JSON array-of-strings column.
func stringArray(_ text: String) throws -> [String] {
    guard let strings = try JSONValue(jsonText: text).stringArray else {
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
        self = try JSONValue(jsonText: text)
    }
}
