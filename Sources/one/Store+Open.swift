import OneCore
import OneSQLite

/// The store behind a path: the embedded SQLite adapter.
func openStore(path: String) throws -> any Store {
    try SQLiteStore(path: path)
}
