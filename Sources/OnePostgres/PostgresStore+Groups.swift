import OneCore
import PostgresNIO

extension Group {
    init(row: PostgresRow) throws {
        let columns = Columns(row)
        self.init(
            id: try columns("id"), slug: try columns("slug"), name: try columns("name"), type: try columns("type"),
            parentGroupId: try columns("parent_group_id"), description: try columns("description"),
            metadata: try columns.json("metadata"), settings: try GroupSettings(json: try columns.json("settings")),
            status: Group.Status(rawValue: try columns("status")) ?? .active, createdAt: try columns("created_at"),
            updatedAt: try columns("updated_at"))
    }
}

extension PostgresStore {
    static let groupSelect = """
        SELECT id, slug, name, type, parent_group_id, description, metadata::text AS metadata,
               settings::text AS settings, status, created_at, updated_at FROM groups
        """

    public func group(id: String) async throws -> Group? {
        var found: Group?
        for try await group in try await client.execute(Prepared.GroupByID(id: id), logger: logger) { found = group }
        return found
    }

    public func groups(parentId: String?, among ids: [String]?, page: PageRequest) async throws -> Page<Group> {
        var conditions = Conditions()
        if let parentId { conditions.add("parent_group_id", parentId) }
        if let ids { conditions.add("id = ANY(\(conditions.bind(ids)))") }
        return try await fetchPage(Self.groupSelect, where: conditions, ascending: true, page: page, decode: Group.init(row:), cursor: \.id)
    }

    public func ancestorIds(of id: String) async throws -> [String] {
        try await fetchAll(
            """
            WITH RECURSIVE chain(id, depth) AS (
                SELECT parent_group_id, 1 FROM groups WHERE id = \(id) AND parent_group_id IS NOT NULL
                UNION ALL
                SELECT g.parent_group_id, chain.depth + 1 FROM groups g JOIN chain ON g.id = chain.id
                WHERE g.parent_group_id IS NOT NULL AND chain.depth < 1000
            )
            SELECT id FROM chain ORDER BY depth
            """) { try $0.decode(String.self) }
    }

    public func descendantIds(of id: String) async throws -> [String] {
        try await fetchAll(
            """
            WITH RECURSIVE below(id) AS (
                SELECT id FROM groups WHERE parent_group_id = \(id)
                UNION
                SELECT g.id FROM groups g JOIN below ON g.parent_group_id = below.id
            )
            SELECT id FROM below ORDER BY id
            """) { try $0.decode(String.self) }
    }

    public func usage(of groupId: String) async throws -> GroupUsage? {
        try await fetchOne("SELECT \(unescaped: Self.usageColumns) FROM group_usage WHERE group_id = \(groupId)", Self.usage(row:))?.1
    }

    /// The usage columns, `own_…` and `subtree_…` for each counted resource, after `group_id`.
    static let usageColumns = "group_id, " + ["own", "subtree"].flatMap { scope in
        UsageCounts.counted.map { "\(scope)_\($0.rawValue)" }
    }.joined(separator: ", ")

    /// A row of ``usageColumns``.
    static func usage(row: PostgresRow) throws -> (String, GroupUsage) {
        let cells = row.makeRandomAccess()
        var usage = GroupUsage()
        for (index, resource) in UsageCounts.counted.enumerated() {
            usage.own[resource] = Int(try cells[1 + index].decode(Int64.self, context: .default))
            usage.subtree[resource] = Int(try cells[1 + UsageCounts.counted.count + index].decode(Int64.self, context: .default))
        }
        return (try cells[0].decode(String.self, context: .default), usage)
    }
}

extension PostgresTransaction {
    func groupChain(of id: String) async throws -> [GroupNode] {
        let chain = try await execute(Prepared.GroupChain(id: id))
        for case let (node, usage?) in chain { knownUsage[node.id] = usage }
        return chain.map(\.0)
    }

    func groupForUpdate(id: String) async throws -> Group? {
        try await fetchOne(PostgresQuery(unsafeSQL: PostgresStore.groupSelect + " WHERE id = $1 FOR UPDATE", binds: binds(id)), Group.init(row:))
    }

    func isEmpty() async throws -> Bool {
        // Serialise bootstraps so two nodes starting on an empty database make one platform.
        try await query("SELECT pg_advisory_xact_lock(\(PostgresStore.bootstrapLock))")
        return try await fetchOne("SELECT NOT EXISTS (SELECT 1 FROM groups)") { try $0.decode(Bool.self) } ?? true
    }

    func lockGroupTree() async throws {
        try await query("SELECT pg_advisory_xact_lock(\(PostgresStore.groupMoveLock))")
    }

    func insertGroup(_ group: Group) async throws {
        try await query(
            """
            INSERT INTO groups (id, slug, name, type, parent_group_id, description, metadata, settings, status, created_at, updated_at)
            VALUES (\(group.id), \(group.slug), \(group.name), \(group.type), \(group.parentGroupId), \(group.description),
                    \(group.metadata.jsonText())::jsonb, \(group.settings.json.jsonText())::jsonb, \(group.status.rawValue),
                    \(group.createdAt), \(group.updatedAt))
            """)
        try await query("INSERT INTO group_usage (group_id) VALUES (\(group.id))")
    }

    func updateGroup(_ group: Group) async throws {
        try await query(
            """
            UPDATE groups SET slug = \(group.slug), name = \(group.name), type = \(group.type),
                parent_group_id = \(group.parentGroupId), description = \(group.description),
                metadata = \(group.metadata.jsonText())::jsonb, settings = \(group.settings.json.jsonText())::jsonb,
                status = \(group.status.rawValue), updated_at = \(group.updatedAt)
            WHERE id = \(group.id)
            """)
    }
}
