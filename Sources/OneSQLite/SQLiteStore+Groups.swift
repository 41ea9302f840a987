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

    /// The counters of a `group_usage` row.
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
    /// From a row of `id, status, settings`.
    init(row: Row) throws {
        let settings: String = row[2]
        self.init(
            id: row[0], status: Group.Status(rawValue: row[1]) ?? .active,
            limits: try GroupSettings(json: JSONValue(storedText: settings)).limits ?? [:])
    }
}

extension SQLiteTransaction {
    /// Walks up the parent links, one keyed read per level the writer does not know yet.
    func groupChain(of id: String) async throws -> [GroupNode] {
        var chain: [GroupNode] = []
        var next: String? = id
        while let current = next, chain.count < 1000 {
            if tree[current] == nil {
                let read = try fetchOne(
                    "SELECT id, status, settings, parentGroupId FROM groups WHERE id = ?", [current]
                ) { row in GroupTreeCache.Entry(node: try GroupNode(row: row), parentId: row[3]) }
                guard let read else { break }
                tree[current] = read
            }
            guard let entry = tree[current] else { break }
            chain.append(entry.node)
            next = entry.parentId
        }
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
        tree.treeChanged()
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
        tree.treeChanged()
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

    /// SQLite has one writer, so no lock is needed: the counters as stored, with what this
    /// batch staged added.
    func usageForUpdate(of groupIds: [String]) async throws -> [String: GroupUsage] {
        let unread = groupIds.filter { storedUsage[$0] == nil }
        if !unread.isEmpty {
            try run { db in
                for row in try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT * FROM group_usage WHERE groupId IN (\(Self.placeholders(unread.count)))"),
                    arguments: StatementArguments(unread))
                {
                    storedUsage[row["groupId"]] = GroupUsage(row: row)
                }
            }
        }
        var usage: [String: GroupUsage] = [:]
        for id in groupIds {
            if let stored = storedUsage[id] { usage[id] = stored + (stagedUsage[id] ?? GroupUsage()) }
        }
        return usage
    }

    /// Checks bounds against the counters as they will stand, then stages the change for the
    /// end of the batch (see ``WriteBatcher``).
    func addUsage(
        _ delta: UsageCounts, own groupId: String?, subtreeOf groupIds: [String], within bounds: [String: UsageBound]
    ) async throws -> [String] {
        if !bounds.isEmpty {
            let usage = try await usageForUpdate(of: Array(bounds.keys)).mapValues(\.subtree)
            let full = UsageChanges.pastBounds(bounds, adding: delta, to: usage, among: groupIds)
            if !full.isEmpty { return full }
        }
        stagedUsage.add(delta, own: groupId, subtreeOf: groupIds)
        return []
    }

    /// Adds a batch's staged usage changes to the counters: one keyed update per group.
    static func apply(_ changes: [String: GroupUsage], _ db: Database) throws {
        for (groupId, change) in changes.sorted(by: { $0.key < $1.key }) {
            var columns: [String] = []
            var arguments = StatementArguments()
            for resource in UsageCounts.counted {
                for (scope, amount) in [("own", change.own[resource]), ("subtree", change.subtree[resource])] where amount != 0 {
                    columns.append(GroupUsage.column(scope, resource))
                    _ = arguments.append(contentsOf: [amount])
                }
            }
            guard !columns.isEmpty else { continue }
            _ = arguments.append(contentsOf: [groupId])
            let sql = "UPDATE group_usage SET " + columns.map { "\($0) = \($0) + ?" }.joined(separator: ", ") + " WHERE groupId = ?"
            try db.cachedStatement(sql: sql).execute(arguments: arguments)
        }
    }

    /// `?, ?, …`: `count` placeholders, so statements stay cacheable per list length.
    static func placeholders(_ count: Int) -> String {
        count == 0 ? "NULL" : Array(repeating: "?", count: count).joined(separator: ", ")
    }
}
