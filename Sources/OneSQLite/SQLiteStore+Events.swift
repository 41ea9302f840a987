import GRDB
import OneCore

extension Event {
    init(row: Row) throws {
        let change: String? = row["change"]
        self.init(
            id: row["id"], groupId: row["groupId"], sequence: row["sequence"], type: row["type"],
            actorId: row["actorId"], targetId: row["targetId"], timestamp: row["timestamp"],
            metadata: try JSONValue(column: row["metadata"]),
            change: try change.map { Change(json: try JSONValue(storedText: $0)) })
    }
}

extension SQLiteStore {
    public func event(id: String, groupId: String) async throws -> Event? {
        try read { db in
            try fetchRow(db, "SELECT * FROM events WHERE id = ? AND groupId = ?", [id, groupId]).map(Event.init(row:))
        }
    }

    public func events(_ query: EventQuery, page: PageRequest) async throws -> Page<Event> {
        try read { db in
            let group = groupCondition(query.groupId, query.subgroupIds)
            var conditions = [group.sql]
            var arguments: StatementArguments = [group.argument]
            for (column, value) in [("type", query.type), ("actorId", query.actorId), ("targetId", query.targetId)] {
                guard let value else { continue }
                conditions.append("\(column) = ?")
                _ = arguments.append(contentsOf: [value])
            }
            if let since = query.since {
                conditions.append("timestamp >= ?")
                _ = arguments.append(contentsOf: [since])
            }
            if let until = query.until {
                conditions.append("timestamp <= ?")
                _ = arguments.append(contentsOf: [until])
            }
            return try fetchPage(
                db, from: "events", where: conditions, arguments, key: "sequence", ascending: !query.newestFirst,
                page: page, after: page.after.flatMap(Int64.init), decode: Event.init(row:),
                cursor: { String($0.sequence) })
        }
    }
}

extension SQLiteStore {
    public func changeLog(after sequence: Int64, limit: Int) async throws -> [ChangeLogEntry] {
        try read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT sequence, groupId, type, targetId FROM events WHERE sequence > ? ORDER BY sequence LIMIT ?"),
                arguments: [sequence, limit]
            ).map { row in
                ChangeLogEntry(sequence: row["sequence"], groupId: row["groupId"], type: row["type"], targetId: row["targetId"])
            }
        }
    }

    public func lastSequence() async throws -> Int64 {
        try read { db in try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(sequence) FROM events")) ?? 0 }
    }
}
