/// The rules of the tenant tree, applied inside each write's transaction: an archived group
/// freezes its whole subtree, and a group's limits bound everything created anywhere below it.
///
/// Every write reads the chain from its group up to the root (at most one keyed read per level)
/// and adds what it creates to the usage counters along it, bounded by the limits it meets.
/// The store keeps those bounds at commit, so a concurrent burst at a limit admits exactly the
/// limit; the wording of the refusal is the domain's.
enum TenantTree {
    /// The chain of `groupId` (the group, then its ancestors), after checking that none of it is
    /// archived and that the acting key's home group is not either: keys homed in an archived
    /// subtree only read. 404 when the group does not exist.
    static func writableChain(
        _ groupId: String, for principal: Principal?, _ transaction: any StoreTransaction
    ) async throws -> [GroupNode] {
        let chain = try await transaction.groupChain(of: groupId)
        guard !chain.isEmpty else { throw OneError.notFound("group") }
        try requireActive(chain)
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

    /// Throws `GROUP_ARCHIVED` when any group of `chain` (a group, then those above it) is archived.
    static func requireActive(_ chain: [GroupNode]) throws(OneError) {
        guard let group = chain.first else { return }
        if group.status == .archived {
            throw OneError(.groupArchived, "group \(group.id) is archived and accepts no writes")
        }
        if chain.dropFirst().contains(where: { $0.status == .archived }) {
            throw OneError(.groupArchived, "group \(group.id) is inside an archived group and accepts no writes")
        }
    }

    /// Counts `added` into `chain.first` (own) and every group of `chain` (subtree), provided
    /// each group of `chain` whose limits cap a resource in `added` has room for it.
    static func admit(_ added: UsageCounts, into chain: [GroupNode], _ transaction: any StoreTransaction) async throws {
        try await add(added, own: chain.first?.id, subtreeOf: chain.map(\.id), boundedBy: chain, transaction)
    }

    /// Takes `removed` out of the counters `admit` added it to.
    static func release(_ removed: UsageCounts, from chain: [GroupNode], _ transaction: any StoreTransaction) async throws {
        _ = try await transaction.addUsage(-removed, own: chain.first?.id, subtreeOf: chain.map(\.id), within: [:])
    }

    /// Adds `added` to the counters, bounded by the limits of `limiting` on the resources it
    /// adds to; `QUOTA_EXCEEDED` naming the first group without room.
    static func add(
        _ added: UsageCounts, own groupId: String?, subtreeOf groupIds: [String], boundedBy limiting: [GroupNode],
        _ transaction: any StoreTransaction
    ) async throws {
        let resources = UsageCounts.counted.filter { added[$0] > 0 }
        var bounds: [String: UsageBound] = [:]
        for group in limiting {
            let bound = group.limits.filter { resources.contains($0.key) }
            if !bound.isEmpty { bounds[group.id] = bound }
        }
        let full = try await transaction.addUsage(added, own: groupId, subtreeOf: groupIds, within: bounds)
        guard let id = full.first, let bound = bounds[id], let (resource, limit) = bound.min(by: { $0.key.rawValue < $1.key.rawValue }) else {
            return
        }
        let whose = id == groupId || id == groupIds.first ? "this group" : "a group above this one"
        throw OneError(.quotaExceeded, "\(whose) has reached its limit of \(limit) \(resource.rawValue)")
    }
}
