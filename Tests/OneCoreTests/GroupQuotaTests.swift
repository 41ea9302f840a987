import Testing

@testable import OneCore

private struct CounterFailure: Error {}

private func group(status: Group.Status = .active, limits: [QuotaResource: Int]? = nil) -> Group {
    Group(
        id: "grp_01hx5z3k7m9pqrstvwxyz0abcd", slug: "acme", name: "Acme", type: "organization",
        settings: GroupSettings(limits: limits), status: status, createdAt: 0, updatedAt: 0)
}

@Suite("Group.admitWrite")
struct GroupQuotaTests {
    @Test("an archived group refuses every write with GROUP_ARCHIVED, without counting", arguments: [
        QuotaResource.things, .connections, nil,
    ] as [QuotaResource?])
    func archived(resource: QuotaResource?) throws {
        var counted = false
        let error = try #require(throws: OneError.self) {
            try group(status: .archived, limits: [.things: 100]).admitWrite(adding: resource) {
                counted = true
                return 0
            }
        }
        #expect(error.code == .groupArchived)
        #expect(error.code.rawValue == "GROUP_ARCHIVED")
        #expect(!counted)
    }

    @Test("a count under the limit is admitted", arguments: [0, 1, 4])
    func underLimit(count: Int) throws {
        var counted = 0
        try group(limits: [.things: 5]).admitWrite(adding: .things) {
            counted += 1
            return count
        }
        #expect(counted == 1)
    }

    @Test("a count at or over the limit throws QUOTA_EXCEEDED", arguments: [(5, 5), (6, 5), (0, 0), (1, 0)])
    func atLimit(count: Int, limit: Int) throws {
        let error = try #require(throws: OneError.self) {
            try group(limits: [.knowledge: limit]).admitWrite(adding: .knowledge) { count }
        }
        #expect(error.code == .quotaExceeded)
        #expect(error.code.rawValue == "QUOTA_EXCEEDED")
        #expect(error.message.contains("\(limit)"))
        #expect(error.message.contains("knowledge"))
    }

    @Test("with no limit for the resource the counter is never called", arguments: [
        (nil, QuotaResource.things),
        ([:], .things),
        ([.connections: 1], .things),
        ([.things: 1], nil),
    ] as [([QuotaResource: Int]?, QuotaResource?)])
    func noLimit(limits: [QuotaResource: Int]?, resource: QuotaResource?) throws {
        var counted = false
        try group(limits: limits).admitWrite(adding: resource) {
            counted = true
            return Int.max
        }
        #expect(!counted)
    }

    @Test("a counter failure propagates")
    func counterThrows() {
        #expect(throws: CounterFailure.self) {
            try group(limits: [.people: 3]).admitWrite(adding: .people) { throw CounterFailure() }
        }
    }
}
