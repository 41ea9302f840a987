import Logging
import OneCore
import PostgresNIO
import ServiceLifecycle

/// The scale-out ``Store``: PostgreSQL through postgres-nio, shared by any number of stateless
/// API nodes.
///
/// The client's connection pool runs as a `Service` (``run()``); ``migrate()`` brings the schema
/// up to date under an advisory lock, so nodes starting together do not race. Every write is one
/// transaction that ends by appending its event, whose sequence comes from a one-row counter:
/// the counter's row lock is held from that last statement to COMMIT, so sequences are handed
/// out in commit order and without gaps — a reader that has seen sequence n never later finds a
/// newly committed event at or below n.
public final class PostgresStore: Store, Service {
    let client: PostgresClient
    let logger: Logger
    let ids: IDGenerator
    let clock: OneCore.Clock
    private let batcher: PostgresWriteBatcher
    /// Where the database is, for error messages (never the password).
    let address: String
    /// A direct connection's settings, to check the server before the pool starts retrying.
    private let preflight: PostgresConnection.Configuration?

    /// The store at a `postgres://` URL (see ``configuration(url:)``).
    public convenience init(url: String, clock: OneCore.Clock = .system, logger: Logger? = nil) throws {
        try self.init(
            configuration: Self.configuration(url: url), preflight: Self.preflightConfiguration(url: url), clock: clock,
            logger: logger)
    }

    /// - Parameters:
    ///   - preflight: settings for one direct connection made before the pool starts, so a wrong
    ///     password or a missing database is reported at once rather than retried.
    ///   - logger: for the pool's background work; by default only errors are logged.
    public init(
        configuration: PostgresClient.Configuration, preflight: PostgresConnection.Configuration? = nil,
        clock: OneCore.Clock = .system, logger: Logger? = nil
    ) {
        self.preflight = preflight
        let logger = logger ?? {
            var logger = Logger(label: "one.postgres")
            logger.logLevel = .error
            return logger
        }()
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.address = "\(configuration.username)@\(configuration.host ?? "?"):\(configuration.port ?? 5432)/\(configuration.database ?? "")"
        let ids = IDGenerator(clock: clock)
        self.client = client
        self.logger = logger
        self.clock = clock
        self.ids = ids
        self.batcher = PostgresWriteBatcher(client: client, logger: logger) { tail, connection in
            try await Self.finish(tail, on: connection, ids: ids, clock: clock, logger: logger)
        }
    }

    /// Runs the connection pool until the task is cancelled; queries wait for it to be running.
    public func run() async {
        await client.run()
    }

    /// Runs `body` with this store's pool running and its schema migrated, then stops the pool.
    /// Fails fast, with a message naming the server, when the database cannot be reached.
    public func withRunning<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.run() }
            defer { group.cancelAll() }
            try await checkConnection(within: .seconds(15))
            try await migrate()
            return try await body()
        }
    }

    /// Checks the server answers, naming the problem when it does not: with a direct connection
    /// when preflight settings are known, else with one pooled round trip bounded in time (the
    /// pool otherwise keeps retrying a server that is down).
    func checkConnection(within timeout: Duration) async throws {
        if let preflight {
            do {
                let connection = try await PostgresConnection.connect(configuration: preflight, id: 0, logger: logger)
                try await connection.close()
                return
            } catch let error as PSQLError where error.serverInfo?[PSQLError.ServerInfo.Field.message] != nil {
                throw OneError(.unavailable, "cannot use PostgreSQL at \(address): \(error.serverInfo?[PSQLError.ServerInfo.Field.message] ?? "")")
            } catch {
                throw OneError(.unavailable, "cannot connect to PostgreSQL at \(address): is the server running and accepting TCP connections?")
            }
        }
        let reached = await withTaskGroup(of: Result<Void, any Error>?.self) { group in
            group.addTask {
                do {
                    try await self.ping()
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next()
            group.cancelAll()
            return first ?? nil
        }
        switch reached {
        case .success: return
        case .failure(let error as PSQLError) where error.serverInfo?[PSQLError.ServerInfo.Field.message] != nil:
            throw OneError(.unavailable, "cannot use PostgreSQL at \(address): \(error.serverInfo?[PSQLError.ServerInfo.Field.message] ?? "")")
        case .failure:
            throw OneError(.unavailable, "cannot connect to PostgreSQL at \(address): check the host, port, user and password")
        case nil:
            throw OneError(.unavailable, "no answer from PostgreSQL at \(address) within \(timeout)")
        }
    }

    public func ping() async throws {
        try await client.query("SELECT 1", logger: logger)
    }

    /// The row by ID in one group, locked until the transaction ends: the read of a read-modify-write.
    static let lockedInGroup = " WHERE id = $1 AND group_id = $2 FOR UPDATE"

    static let migrationLock: Int64 = 0x4F4E_4501
    static let bootstrapLock: Int64 = 0x4F4E_4502
    static let groupMoveLock: Int64 = 0x4F4E_4503

    // MARK: Running statements

    /// Runs `body` in the next group-committed transaction (see ``PostgresWriteBatcher``).
    public func write<T: Sendable>(_ body: @escaping WriteBody<T>) async throws -> Committed<T> {
        do {
            let (value, events) = try await batcher.write { transaction in try await body(transaction) }
            return Committed(value: value, events: events)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw UniqueViolation(Self.rule(constraint: error.serverInfo?[.constraintName] ?? ""))
        }
    }

    /// Runs `work` in a transaction of its own, outside the batches (for migrations).
    func transaction<T: Sendable>(_ work: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let value = try await work(connection)
                try await connection.query("COMMIT", logger: logger)
                return value
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// The uniqueness rule a constraint of the schema stands for.
    private static func rule(constraint: String) -> UniqueViolation.Rule {
        switch constraint {
        case "groups_sibling_slug": .groupSlug
        case "memberships_group_id_person_id_key", "memberships_by_group_person": .membership
        case "connections_unique_live": .liveConnection
        case "sync_links_pkey": .syncLink
        case "persons_email_key": .identityEmail
        case "oauth_accounts_pkey": .oauthAccount
        default: .other
        }
    }

    /// All rows of a query, decoded.
    func fetchAll<Item>(_ query: PostgresQuery, on connection: PostgresConnection? = nil, _ decode: (PostgresRow) throws -> Item) async throws -> [Item] {
        let rows = if let connection {
            try await connection.query(query, logger: logger)
        } else {
            try await client.query(query, logger: logger)
        }
        var items: [Item] = []
        for try await row in rows { items.append(try decode(row)) }
        return items
    }

    func fetchOne<Item>(_ query: PostgresQuery, on connection: PostgresConnection? = nil, _ decode: (PostgresRow) throws -> Item) async throws -> Item? {
        try await fetchAll(query, on: connection, decode).first
    }

    /// A keyset page, like the SQLite adapter's: newest first unless `ascending`, one extra row
    /// fetched to learn whether more exist.
    func fetchPage<Item>(
        _ select: String, where conditions: Conditions, key: String = "id", ascending: Bool = false,
        page: PageRequest, after: (any PostgresNonThrowingEncodable & Sendable)? = nil, decode: (PostgresRow) throws -> Item,
        cursor: (Item) -> String
    ) async throws -> Page<Item> {
        var conditions = conditions
        if let after = after ?? page.after { conditions.add("\(key) \(ascending ? ">" : "<")", after) }
        var sql = select + conditions.clause + " ORDER BY \(key) \(ascending ? "ASC" : "DESC")"
        sql += " LIMIT \(conditions.bind(page.limit + 1))"
        let items = try await fetchAll(PostgresQuery(unsafeSQL: sql, binds: conditions.binds), decode)
        return Page(fetched: items, limit: page.limit, key: cursor)
    }

    /// A batch's last statements: adds up its usage changes (and fails the batch, to be run
    /// again under locks, if that passes a bound it was admitted within), then appends its events
    /// numbered in order from the counter. The counter row stays locked until COMMIT, which is
    /// what orders sequences by commit.
    static func finish(
        _ tail: PostgresWriteBatcher.Tail, on connection: PostgresConnection, ids: IDGenerator, clock: OneCore.Clock,
        logger: Logger
    ) async throws -> [Event] {
        let usage = tail.usage.filter { !$0.value.own.isZero || !$0.value.subtree.isZero }
        if !usage.isEmpty {
            for try await (groupId, subtree) in try await connection.execute(Prepared.AddUsage(changes: usage), logger: logger) {
                // The optimistic checks' second look, now under the rows' locks.
                if let bound = tail.bounds[groupId], !subtree.isWithin(bound) { throw PostgresWriteBatcher.OptimismFailed() }
            }
        }
        guard !tail.drafts.isEmpty else { return [] }
        var events = tail.drafts.map { draft in
            Event(
                id: ids.make(.event), groupId: draft.groupId, sequence: 0, type: draft.type, actorId: draft.actorId,
                targetId: draft.targetId, timestamp: clock.now(), metadata: draft.metadata, change: draft.change)
        }
        var base: Int64 = 0
        let append = Prepared.AppendEvents(events: events, drafts: tail.drafts)
        for try await value in try await connection.execute(append, logger: logger) { base = value }
        for index in events.indices { events[index].sequence = base + Int64(index) + 1 }
        return events
    }
}

/// Bindings for a fixed list of values.
func binds(_ values: any PostgresNonThrowingEncodable & Sendable...) -> PostgresBindings {
    var bindings = PostgresBindings()
    for value in values { bindings.append(value) }
    return bindings
}

/// A WHERE clause assembled from optional filters, with its bindings numbered as they are added.
struct Conditions {
    private(set) var parts: [String] = []
    private(set) var binds = PostgresBindings()

    /// `column = $n` (or another operator ending the text) for `value`.
    mutating func add(_ columnAndOperator: String, _ value: any PostgresNonThrowingEncodable & Sendable) {
        let placeholder = bind(value)
        parts.append(columnAndOperator.contains(" ") ? "\(columnAndOperator) \(placeholder)" : "\(columnAndOperator) = \(placeholder)")
    }

    /// Binds a value that may be NULL and returns its placeholder.
    mutating func bindOptional(_ value: String?) -> String {
        guard let value else {
            binds.appendNull()
            return "$\(binds.count)"
        }
        return bind(value)
    }

    /// A condition with no value.
    mutating func add(_ condition: String) { parts.append(condition) }

    /// Confines a list to its group, or to its group and the subgroups a query names.
    mutating func addGroup(_ groupId: String, _ subgroupIds: [String], column: String = "group_id") {
        guard !subgroupIds.isEmpty else { return add(column, groupId) }
        let groups = bind([groupId] + subgroupIds)
        add("\(column) = ANY(\(groups))")
    }

    /// Binds a value and returns its placeholder.
    mutating func bind(_ value: any PostgresNonThrowingEncodable & Sendable) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    var clause: String { parts.isEmpty ? "" : " WHERE " + parts.joined(separator: " AND ") }
}
