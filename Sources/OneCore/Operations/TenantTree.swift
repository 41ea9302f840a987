/// The rules of the tenant tree, applied inside each write's transaction: an archived group
/// freezes its whole subtree, and a group's limits bound everything created anywhere below it.
///
/// Every write reads the chain from its group up to the root (one indexed read per level)
/// and, where a limit applies, the usage counters of the limited groups, locked; so the check
/// and the write see the same data and a concurrent burst at a limit admits exactly the limit.
enum TenantTree {
    /// The chain of `groupId` (the group, then its ancestors), after checking that none of it is
    /// archived and that the acting key's home group is not either: keys homed in an archived
    /// subtree only read. 404 when the group does not exist.
    static func writableChain(
        _ groupId: String, for principal: Principal?, _ transaction: any StoreTransaction
    ) async throws -> [Group] {
        let chain = try await transaction.groupChain(of: groupId)
        guard let group = chain.first else { throw OneError.notFound("group") }
        try requireActive(chain, group: group)
        if let principal, !chain.contains(where: { $0.id == principal.groupId }) {
            try await requireHomeActive(principal, transaction)
        }
        return chain
    }

    /// Refuses a write by a key whose home group, or a group above it, is archived.
    static func requireHomeActive(_ principal: Principal, _ transaction: any StoreTransaction) async throws {
        let home = try await transaction.groupChain(of: principal.groupId)
        if home.contains(where: { $0.status == .archived }) {
            throw OneError(.groupArchived, "this key's group is archived: its keys can only read")
        }
    }

    /// Throws `GROUP_ARCHIVED` when any group of `chain` is archived.
    static func requireActive(_ chain: [Group], group: Group) throws(OneError) {
        if group.status == .archived {
            throw OneError(.groupArchived, "group \(group.id) is archived and accepts no writes")
        }
        if chain.dropFirst().contains(where: { $0.status == .archived }) {
            throw OneError(.groupArchived, "group \(group.id) is inside an archived group and accepts no writes")
        }
    }

    /// Counts `added` into `chain.first` (own) and every group of `chain` (subtree), after
    /// checking each group of `chain` with a limit on a resource in `added` has room for it.
    static func admit(_ added: UsageCounts, into chain: [Group], _ transaction: any StoreTransaction) async throws {
        try await requireRoom(for: added, in: chain, transaction)
        try await transaction.addUsage(added, own: chain.first?.id, subtreeOf: chain.map(\.id))
    }

    /// Takes `removed` out of the counters `admit` added it to.
    static func release(_ removed: UsageCounts, from chain: [Group], _ transaction: any StoreTransaction) async throws {
        try await transaction.addUsage(-removed, own: chain.first?.id, subtreeOf: chain.map(\.id))
    }

    /// Checks each group of `groups` whose limits cap a resource in `added` still has room.
    static func requireRoom(for added: UsageCounts, in groups: [Group], _ transaction: any StoreTransaction) async throws {
        let resources = UsageCounts.counted.filter { added[$0] > 0 }
        let limited = groups.filter { group in resources.contains { group.settings.limits?[$0] != nil } }
        guard !limited.isEmpty else { return }
        let usage = try await transaction.usageForUpdate(of: limited.map(\.id))
        for group in limited {
            for resource in resources {
                guard let limit = group.settings.limits?[resource] else { continue }
                let used = usage[group.id]?.subtree[resource] ?? 0
                guard used + added[resource] <= limit else {
                    let whose = group.id == groups.first?.id ? "this group" : "a group above this one"
                    throw OneError(.quotaExceeded, "\(whose) has reached its limit of \(limit) \(resource.rawValue)")
                }
            }
        }
    }
}
