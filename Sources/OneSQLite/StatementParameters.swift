import GRDB
import GRDBSQLite

/// The parameters of a prepared statement, bound in order straight through SQLite's C API.
///
/// For the multi-row inserts of a write, which run on the single writer: building
/// `StatementArguments` for a hundred rows (an existential and a `DatabaseValue` per column)
/// cost more there than SQLite's insert itself.
struct StatementParameters {
    private let statement: SQLiteStatement
    /// The next parameter's index (from 1).
    private(set) var index: CInt = 1
    /// The first code other than `SQLITE_OK` a bind returned.
    private(set) var failure = SQLITE_OK

    init(_ statement: SQLiteStatement) {
        self.statement = statement
    }

    mutating func bind(_ text: String) {
        let length = CInt(text.utf8.count)
        record(text.withCString { sqlite3_bind_text(statement, index, $0, length, Self.transient) })
    }

    mutating func bind(_ text: String?) {
        guard let text else { return bindNull() }
        bind(text)
    }

    mutating func bind(_ integer: Int64) {
        record(sqlite3_bind_int64(statement, index, integer))
    }

    mutating func bind(_ integer: Int64?) {
        guard let integer else { return bindNull() }
        bind(integer)
    }

    private mutating func bindNull() {
        record(sqlite3_bind_null(statement, index))
    }

    private mutating func record(_ code: CInt) {
        if failure == SQLITE_OK { failure = code }
        index += 1
    }

    /// Tells SQLite to copy the bytes, which live only for the call.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}

extension Statement {
    /// Runs this statement with parameters that `bind` sets through ``StatementParameters``.
    func execute(binding bind: (inout StatementParameters) -> Void) throws {
        // Resets the statement and clears its bindings; `execute()` then keeps those made here.
        setUncheckedArguments([])
        var parameters = StatementParameters(sqliteStatement)
        bind(&parameters)
        // Every parameter bound, once: a missing one would silently be NULL.
        let expected = sqlite3_bind_parameter_count(sqliteStatement)
        guard parameters.failure == SQLITE_OK, parameters.index - 1 == expected else {
            throw DatabaseError(
                resultCode: parameters.failure == SQLITE_OK ? .SQLITE_RANGE : ResultCode(rawValue: parameters.failure),
                message: "bound \(parameters.index - 1) parameters to a statement of \(expected)", sql: sql)
        }
        try execute()
    }
}
