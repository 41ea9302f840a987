/// How many records count against a group's limits: those in the group itself (`own`) and
/// those anywhere in its subtree, the group included (`subtree`). Kept as counters updated in
/// each write's own transaction, so admitting a write reads one row per level of nesting
/// instead of counting rows.
public struct GroupUsage: Sendable, Equatable {
    public var own: UsageCounts
    public var subtree: UsageCounts

    public init(own: UsageCounts = .zero, subtree: UsageCounts = .zero) {
        self.own = own
        self.subtree = subtree
    }
}

/// One count per resource a limit can cap. For `groups`, `own` counts direct children and
/// `subtree` every descendant. Archived things and deleted connections or knowledge do not count.
public struct UsageCounts: Sendable, Equatable {
    public var groups: Int
    public var things: Int
    public var connections: Int
    public var knowledge: Int
    public var people: Int

    public init(groups: Int = 0, things: Int = 0, connections: Int = 0, knowledge: Int = 0, people: Int = 0) {
        self.groups = groups
        self.things = things
        self.connections = connections
        self.knowledge = knowledge
        self.people = people
    }

    public static let zero = UsageCounts()

    /// One of `resource`: what a create adds.
    public static func one(_ resource: QuotaResource) -> UsageCounts {
        var counts = UsageCounts.zero
        counts[resource] = 1
        return counts
    }

    /// The count of a resource; `storage` and `apiCalls` are not counted here and read 0.
    public subscript(resource: QuotaResource) -> Int {
        get {
            switch resource {
            case .groups: groups
            case .things: things
            case .connections: connections
            case .knowledge: knowledge
            case .people: people
            case .storage, .apiCalls, .requestsPerMinute, .aiTokens: 0
            }
        }
        set {
            switch resource {
            case .groups: groups = newValue
            case .things: things = newValue
            case .connections: connections = newValue
            case .knowledge: knowledge = newValue
            case .people: people = newValue
            case .storage, .apiCalls, .requestsPerMinute, .aiTokens: break
            }
        }
    }

    /// The resources that are counted, in the order stored.
    public static let counted: [QuotaResource] = [.groups, .things, .connections, .knowledge, .people]

    public static func + (lhs: UsageCounts, rhs: UsageCounts) -> UsageCounts {
        var sum = lhs
        for resource in counted { sum[resource] += rhs[resource] }
        return sum
    }

    public static prefix func - (counts: UsageCounts) -> UsageCounts {
        var negated = counts
        for resource in counted { negated[resource] = -counts[resource] }
        return negated
    }

    public var isZero: Bool { self == .zero }
}

extension UsageCounts: JSONRepresentable {
    public var json: JSONValue {
        .object(Dictionary(uniqueKeysWithValues: Self.counted.map { ($0.rawValue, JSONValue.integer(Int64(self[$0]))) }))
    }
}

/// A group as the tenant tree's rules see it: whether it accepts writes and what its limits
/// are. What every write reads for its group and each one above.
public struct GroupNode: Sendable, Equatable {
    public var id: String
    public var status: Group.Status
    public var limits: [QuotaResource: Int]

    public init(id: String, status: Group.Status, limits: [QuotaResource: Int] = [:]) {
        self.id = id
        self.status = status
        self.limits = limits
    }
}

/// The most a group's subtree may count, per resource; resources absent are not bounded.
public typealias UsageBound = [QuotaResource: Int]

extension UsageCounts {
    /// Whether these counts stay within `bound`.
    public func isWithin(_ bound: UsageBound) -> Bool {
        bound.allSatisfy { resource, limit in self[resource] <= limit }
    }
}

extension GroupUsage {
    public static func + (lhs: GroupUsage, rhs: GroupUsage) -> GroupUsage {
        GroupUsage(own: lhs.own + rhs.own, subtree: lhs.subtree + rhs.subtree)
    }
}

/// Usage changes by group, as a transaction stages them before adding them to the counters.
public typealias UsageChanges = [String: GroupUsage]

extension UsageChanges {
    /// Stages `delta` for the own counters of `groupId` and the subtree counters of `groupIds`.
    public mutating func add(_ delta: UsageCounts, own groupId: String?, subtreeOf groupIds: [String]) {
        if let groupId { self[groupId, default: GroupUsage()].own = self[groupId, default: GroupUsage()].own + delta }
        for id in groupIds { self[id, default: GroupUsage()].subtree = self[id, default: GroupUsage()].subtree + delta }
    }

    /// The groups of `groupIds`, in order, whose bound `delta` would pass, given their subtree
    /// counts `current` (as stored, with this transaction's staged changes).
    public static func pastBounds(
        _ bounds: [String: UsageBound], adding delta: UsageCounts, to current: [String: UsageCounts], among groupIds: [String]
    ) -> [String] {
        groupIds.filter { id in bounds[id].map { !((current[id] ?? .zero) + delta).isWithin($0) } ?? false }
    }
}

/// A group's usage beside its limits, as `GET /api/groups/:id/usage` shows it.
public struct GroupUsageReport: Sendable, Equatable {
    public var groupId: String
    public var limits: [QuotaResource: Int]
    public var usage: GroupUsage

    public init(groupId: String, limits: [QuotaResource: Int], usage: GroupUsage) {
        self.groupId = groupId
        self.limits = limits
        self.usage = usage
    }
}

extension GroupUsageReport: JSONRepresentable {
    public var json: JSONValue {
        [
            "groupId": .string(groupId),
            "limits": .object(Dictionary(uniqueKeysWithValues: limits.map { ($0.key.rawValue, JSONValue.integer(Int64($0.value))) })),
            "own": usage.own.json, "subtree": usage.subtree.json,
        ]
    }
}
