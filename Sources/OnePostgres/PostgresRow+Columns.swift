import OneCore
import PostgresNIO

/// Reads a row's columns by name.
struct Columns {
    let cells: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.cells = row.makeRandomAccess() }

    func callAsFunction<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try cells[name].decode(T.self, context: .default)
    }

    /// A jsonb column selected as text.
    func json(_ name: String) throws -> JSONValue {
        let text: String? = try self(name)
        guard let text else { return [:] }
        return try JSONValue(storedText: text)
    }

    func role(_ name: String) throws -> Role {
        guard let role = Role(rawValue: try self(name)) else { throw OneError(.internal, "unknown role in storage") }
        return role
    }
}
