import GRDB
import OneCore

extension Connection {
    init(row: Row) throws {
        self.init(
            id: row["id"], groupId: row["groupId"], fromId: row["fromId"], toId: row["toId"], type: row["type"],
            metadata: try JSONValue(column: row["metadata"]), strength: row["strength"], validFrom: row["validFrom"],
            validTo: row["validTo"], createdBy: row["createdBy"], createdAt: row["createdAt"],
            updatedAt: row["updatedAt"], deletedAt: row["deletedAt"])
    }
}

extension SQLiteStore {
    public func connection(id: String, groupId: String) async throws -> Connection? {
        try read { db in
            try fetchRow(db, "SELECT * FROM connections WHERE id = ? AND groupId = ?", [id, groupId]).map(Connection.init(row:))
        }
    }

    public func connections(_ query: ConnectionQuery, page: PageRequest) async throws -> Page<Connection> {
        try read { db in
            let group = groupCondition(query.groupId, query.subgroupIds)
            var conditions = [group.sql, "deletedAt IS NULL"]
            var arguments: StatementArguments = [group.argument]
            for (column, value) in [("fromId", query.fromId), ("toId", query.toId), ("type", query.type)] {
                guard let value else { continue }
                conditions.append("\(column) = ?")
                _ = arguments.append(contentsOf: [value])
            }
            if let touching = query.touching {
                conditions.append("(fromId = ? OR toId = ?)")
                _ = arguments.append(contentsOf: [touching, touching])
            }
            return try fetchPage(
                db, from: "connections", where: conditions, arguments, page: page, decode: Connection.init(row:),
                cursor: \.id)
        }
    }
}

extension SQLiteStore {
    public func adjacentConnections(
        of ids: [String], outgoing: Bool, incoming: Bool, types: [String], groupId: String, limit: Int
    ) async throws -> [Connection] {
        try read { db in
            let typeFilter = types.isEmpty ? "" : " AND type IN (SELECT value FROM json_each(?))"
            var selects: [String] = []
            var arguments: StatementArguments = []
            for (column, wanted) in [("fromId", outgoing), ("toId", incoming)] where wanted {
                selects.append("""
                    SELECT * FROM connections WHERE groupId = ? AND \(column) IN (SELECT value FROM json_each(?))
                        AND deletedAt IS NULL\(typeFilter)
                    """)
                _ = arguments.append(contentsOf: [groupId, JSONValue(ids).jsonText()])
                if !types.isEmpty { _ = arguments.append(contentsOf: [JSONValue(types).jsonText()]) }
            }
            guard !selects.isEmpty else { return [] }
            _ = arguments.append(contentsOf: [limit])
            return try Row.fetchAll(
                db.cachedStatement(sql: selects.joined(separator: " UNION ") + " ORDER BY id LIMIT ?"), arguments: arguments
            ).map(Connection.init(row:))
        }
    }
}

extension SQLiteTransaction {
    func connectionForUpdate(id: String, groupId: String) async throws -> Connection? {
        try fetchOne("SELECT * FROM connections WHERE id = ? AND groupId = ?", [id, groupId], Connection.init(row:))
    }

    func liveConnectionsForUpdate(touching endId: String, groupId: String) async throws -> [Connection] {
        try run { db in
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT * FROM connections WHERE groupId = ? AND fromId = ? AND deletedAt IS NULL
                    UNION SELECT * FROM connections WHERE groupId = ? AND toId = ? AND deletedAt IS NULL ORDER BY id
                    """),
                arguments: [groupId, endId, groupId, endId]
            ).map(Connection.init(row:))
        }
    }

    func insertConnection(_ connection: Connection) async throws {
        try execute(
            """
            INSERT INTO connections (id, groupId, fromId, toId, type, metadata, strength, validFrom, validTo,
                createdBy, createdAt, updatedAt, deletedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                connection.id, connection.groupId, connection.fromId, connection.toId, connection.type,
                connection.metadata.jsonText(), connection.strength, connection.validFrom, connection.validTo,
                connection.createdBy, connection.createdAt, connection.updatedAt, connection.deletedAt,
            ])
    }

    func updateConnection(_ connection: Connection) async throws {
        try execute(
            """
            UPDATE connections SET type = ?, metadata = ?, strength = ?, validFrom = ?, validTo = ?,
                updatedAt = ?, deletedAt = ? WHERE id = ? AND groupId = ?
            """,
            [
                connection.type, connection.metadata.jsonText(), connection.strength, connection.validFrom,
                connection.validTo, connection.updatedAt, connection.deletedAt, connection.id, connection.groupId,
            ])
    }
}
