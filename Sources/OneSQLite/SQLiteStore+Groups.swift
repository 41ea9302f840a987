import GRDB
import OneCore

extension Group {
    init(row: Row) throws {
        let settingsText: String = row["settings"]
        self.init(
            id: row["id"], slug: row["slug"], name: row["name"], type: row["type"], parentGroupId: row["parentGroupId"],
            description: row["description"], metadata: try JSONValue(column: row["metadata"]),
            settings: try GroupSettings(json: JSONValue(jsonText: settingsText)),
            status: Group.Status(rawValue: row["status"]) ?? .active, createdAt: row["createdAt"], updatedAt: row["updatedAt"])
    }
}

extension SQLiteStore {
    public func group(id: String) async throws -> Group? {
        try read { db in try fetchRow(db, "SELECT * FROM groups WHERE id = ?", [id]).map(Group.init(row:)) }
    }

    public func groups(parentId: String?, among ids: [String]?, page: PageRequest) async throws -> Page<Group> {
        try read { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let parentId {
                conditions.append("parentGroupId = ?")
                _ = arguments.append(contentsOf: [parentId])
            }
            if let ids {
                conditions.append("id IN (SELECT value FROM json_each(?))")
                _ = arguments.append(contentsOf: [JSONValue.array(ids.map(JSONValue.string)).jsonText()])
            }
            return try fetchPage(
                db, from: "groups", where: conditions, arguments, ascending: true, page: page,
                decode: Group.init(row:), cursor: \.id)
        }
    }

    public func ancestorIds(of id: String) async throws -> [String] {
        try read { db in try ancestorIds(of: id, db) }
    }

    func ancestorIds(of id: String, _ db: Database) throws -> [String] {
        try String.fetchAll(
            db.cachedStatement(
                sql: """
                    WITH RECURSIVE chain(id, depth) AS (
                        SELECT parentGroupId, 1 FROM groups WHERE id = ? AND parentGroupId IS NOT NULL
                        UNION ALL
                        SELECT g.parentGroupId, chain.depth + 1 FROM groups g JOIN chain ON g.id = chain.id
                        WHERE g.parentGroupId IS NOT NULL AND chain.depth < 1000
                    )
                    SELECT id FROM chain ORDER BY depth
                    """), arguments: [id])
    }

    public func descendantIds(of id: String) async throws -> [String] {
        try read { db in
            try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        WITH RECURSIVE below(id) AS (
                            SELECT id FROM groups WHERE parentGroupId = ?
                            UNION
                            SELECT g.id FROM groups g JOIN below ON g.parentGroupId = below.id
                        )
                        SELECT id FROM below ORDER BY id
                        """), arguments: [id])
        }
    }

    public func usage(of groupId: String) async throws -> GroupUsage? {
        try read { db in try fetchRow(db, "SELECT * FROM group_usage WHERE groupId = ?", [groupId]).map(GroupUsage.init(row:)) }
    }
}

extension GroupUsage {
    /// The usage columns, `own…` and `subtree…` for each counted resource.
    static func column(_ scope: String, _ resource: QuotaResource) -> String {
        scope + resource.rawValue.prefix(1).uppercased() + resource.rawValue.dropFirst()
    }

    init(row: Row) {
        var usage = GroupUsage()
        for resource in UsageCounts.counted {
            usage.own[resource] = row[Self.column("own", resource)]
            usage.subtree[resource] = row[Self.column("subtree", resource)]
        }
        self = usage
    }
}

extension GroupNode {
    /// From a row of `id, status, settings` and the five subtree counters.
    init(row: Row) throws {
        let settings: String = row[2]
        var usage = UsageCounts.zero
        for (index, resource) in UsageCounts.counted.enumerated() { usage[resource] = row[3 + index] }
        self.init(
            id: row[0], status: Group.Status(rawValue: row[1]) ?? .active,
            // Most groups have no limits: skip parsing their settings.
            limits: settings.contains("\"limits\"") ? try GroupSettings(json: JSONValue(storedText: settings)).limits ?? [:] : [:],
            subtreeUsage: usage)
    }
}

extension SQLiteTransaction {
    func groupChain(of id: String) async throws -> [GroupNode] {
        let chain = try run { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        WITH RECURSIVE chain(id, depth) AS (
                            SELECT ?, 0
                            UNION ALL
                            SELECT g.parentGroupId, chain.depth + 1 FROM groups g JOIN chain ON g.id = chain.id
                            WHERE g.parentGroupId IS NOT NULL AND chain.depth < 1000
                        )
                        SELECT g.id, g.status, g.settings, u.subtreeGroups, u.subtreeThings, u.subtreeConnections,
                               u.subtreeKnowledge, u.subtreePeople
                        FROM chain JOIN groups g ON g.id = chain.id JOIN group_usage u ON u.groupId = g.id
                        ORDER BY chain.depth
                        """), arguments: [id]
            ).map(GroupNode.init(row:))
        }
        for node in chain { knownUsage[node.id] = node.subtreeUsage }
        return chain
    }

    func groupForUpdate(id: String) async throws -> Group? {
        try fetchOne("SELECT * FROM groups WHERE id = ?", [id], Group.init(row:))
    }

    func isEmpty() async throws -> Bool {
        try run { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (SELECT 1 FROM groups LIMIT 1)") == 0 }
    }

    /// SQLite has one writer: the tree cannot change under this transaction.
    func lockGroupTree() async throws {}

    func insertGroup(_ group: Group) async throws {
        try execute(
            """
            INSERT INTO groups (id, slug, name, type, parentGroupId, description, metadata, settings, status, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                group.id, group.slug, group.name, group.type, group.parentGroupId, group.description,
                group.metadata.jsonText(), group.settings.json.jsonText(), group.status.rawValue, group.createdAt,
                group.updatedAt,
            ])
        try execute("INSERT INTO group_usage (groupId) VALUES (?)", [group.id])
    }

    func updateGroup(_ group: Group) async throws {
        try execute(
            """
            UPDATE groups SET slug = ?, name = ?, type = ?, parentGroupId = ?, description = ?, metadata = ?,
            settings = ?, status = ?, updatedAt = ? WHERE id = ?
            """,
            [
                group.slug, group.name, group.type, group.parentGroupId, group.description, group.metadata.jsonText(),
                group.settings.json.jsonText(), group.status.rawValue, group.updatedAt, group.id,
            ])
    }

    func usageForUpdate(of groupIds: [String]) async throws -> [String: GroupUsage] {
        try run { db in
            var usage: [String: GroupUsage] = [:]
            for row in try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM group_usage WHERE groupId IN (\(Self.placeholders(groupIds.count)))"),
                arguments: StatementArguments(groupIds))
            {
                usage[row["groupId"]] = GroupUsage(row: row)
            }
            return usage
        }
    }

    /// SQLite has one writer, so the counters read here cannot change before the addition.
    func addUsage(
        _ delta: UsageCounts, own groupId: String?, subtreeOf groupIds: [String], within bounds: [String: UsageBound]
    ) async throws -> [String] {
        if !bounds.isEmpty {
            var usage = knownUsage
            if bounds.keys.contains(where: { usage[$0] == nil }) {
                for (id, read) in try await usageForUpdate(of: Array(bounds.keys)) { usage[id] = read.subtree }
            }
            let full = groupIds.filter { id in
                bounds[id].map { !((usage[id] ?? .zero) + delta).isWithin($0) } ?? false
            }
            if !full.isEmpty { return full }
        }
        defer { for id in groupIds where knownUsage[id] != nil { knownUsage[id] = knownUsage[id]! + delta } }
        let changed = UsageCounts.counted.filter { delta[$0] != 0 }
        let targets = groupIds + (groupId.map { groupIds.contains($0) ? [] : [$0] } ?? [])
        guard !changed.isEmpty, !targets.isEmpty else { return [] }
        // One statement: `(groupId = ?)` and `(groupId IN (…))` are 0 or 1, so each counter moves
        // only where it should.
        let inSubtree = groupIds.isEmpty ? "0" : "(groupId IN (\(Self.placeholders(groupIds.count))))"
        let assignments = changed.map { resource in
            let own = GroupUsage.column("own", resource)
            let below = GroupUsage.column("subtree", resource)
            return "\(own) = \(own) + (groupId IS ?) * ?, \(below) = \(below) + \(inSubtree) * ?"
        }
        var arguments: [(any DatabaseValueConvertible)?] = []
        for resource in changed {
            arguments += [groupId, delta[resource]]
            arguments += groupIds.map { $0 }
            arguments.append(delta[resource])
        }
        arguments += targets
        try execute(
            "UPDATE group_usage SET \(assignments.joined(separator: ", ")) WHERE groupId IN (\(Self.placeholders(targets.count)))",
            StatementArguments(arguments))
        return []
    }

    /// `?, ?, …`: `count` placeholders, so statements stay cacheable per list length.
    static func placeholders(_ count: Int) -> String {
        count == 0 ? "NULL" : Array(repeating: "?", count: count).joined(separator: ", ")
    }
}
