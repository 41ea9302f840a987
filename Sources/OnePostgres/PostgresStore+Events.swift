import OneCore
import PostgresNIO

extension Event {
    init(row: PostgresRow) throws {
        let columns = Columns(row)
        let change: String? = try columns("change")
        self.init(
            id: try columns("id"), groupId: try columns("group_id"), sequence: try columns("sequence"), type: try columns("type"),
            actorId: try columns("actor_id"), targetId: try columns("target_id"), timestamp: try columns("timestamp"),
            metadata: try columns.json("metadata"), change: try change.map { Change(json: try JSONValue(storedText: $0)) })
    }
}

extension PostgresStore {
    static let eventSelect = """
        SELECT sequence, id, group_id, type, actor_id, target_id, timestamp, metadata::text AS metadata,
               change::text AS change FROM events
        """

    public func event(id: String, groupId: String) async throws -> Event? {
        try await fetchOne(PostgresQuery(unsafeSQL: Self.eventSelect + " WHERE id = $1 AND group_id = $2", binds: binds(id, groupId)), Event.init(row:))
    }

    public func events(_ query: EventQuery, page: PageRequest) async throws -> Page<Event> {
        var conditions = Conditions()
        conditions.addGroup(query.groupId, query.subgroupIds)
        if let type = query.type { conditions.add("type", type) }
        if let actorId = query.actorId { conditions.add("actor_id", actorId) }
        if let targetId = query.targetId { conditions.add("target_id", targetId) }
        if let since = query.since { conditions.add("timestamp >=", since) }
        if let until = query.until { conditions.add("timestamp <=", until) }
        return try await fetchPage(
            Self.eventSelect, where: conditions, key: "sequence", ascending: !query.newestFirst, page: page,
            after: page.after.flatMap(Int64.init), decode: Event.init(row:), cursor: { String($0.sequence) })
    }
}

extension PostgresStore {
    public func changeLog(after sequence: Int64, limit: Int) async throws -> [ChangeLogEntry] {
        try await fetchAll(
            "SELECT sequence, group_id, type, target_id FROM events WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(limit)"
        ) { row in
            let (sequence, groupId, type, targetId) = try row.decode((Int64, String, String, String?).self)
            return ChangeLogEntry(sequence: sequence, groupId: groupId, type: type, targetId: targetId)
        }
    }

    public func lastSequence() async throws -> Int64 {
        try await fetchOne("SELECT COALESCE(MAX(sequence), 0)::bigint AS last FROM events") { row in try row.decode(Int64.self) } ?? 0
    }
}
