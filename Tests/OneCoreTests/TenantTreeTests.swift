import Testing

@testable import OneCore

private func group(_ id: String, status: Group.Status = .active) -> GroupNode {
    GroupNode(id: id, status: status)
}

@Suite("Tenant tree rules")
struct TenantTreeTests {
    let leaf = "grp_01hx5z3k7m9pqrstvwxyz0abc1"
    let middle = "grp_01hx5z3k7m9pqrstvwxyz0abc2"
    let root = "grp_01hx5z3k7m9pqrstvwxyz0abc3"

    @Test("a chain with every group active accepts writes")
    func activeChain() throws {
        try TenantTree.requireActive([group(leaf), group(middle), group(root)])
    }

    @Test("an archived group, or any group above it, refuses writes with GROUP_ARCHIVED", arguments: [0, 1, 2])
    func archivedAnywhere(position: Int) throws {
        var chain = [group(leaf), group(middle), group(root)]
        chain[position].status = .archived
        let error = try #require(throws: OneError.self) { try TenantTree.requireActive(chain) }
        #expect(error.code == .groupArchived)
        #expect(error.message.contains(position == 0 ? "is archived" : "inside an archived group"))
    }

    @Test("usage counts add, negate and index by resource")
    func usageArithmetic() {
        var counts = UsageCounts.one(.things) + .one(.things) + .one(.groups)
        #expect(counts.things == 2 && counts.groups == 1 && counts.people == 0)
        counts[.people] = 5
        #expect((counts + -counts).isZero)
        #expect(counts[.storage] == 0, "storage is not counted here")
        #expect(counts.json == ["groups": 1, "things": 2, "connections": 0, "knowledge": 0, "people": 5])
    }
}
