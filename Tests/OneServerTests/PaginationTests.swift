import HTTPTypes
import OneCore
import Testing

@Suite("Pagination")
struct PaginationTests {
    @Test("walking 260 things page by page while others are inserted sees each once, none missed", arguments: TestStore.available)
    func stableUnderInserts(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let tenant = try await server.makeTenant()
            var initial: [String] = []
            for index in 0..<260 { initial.append(try await server.makeThing(tenant, name: "thing \(index)")) }

            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let path = "/api/things?limit=37" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await server.api.get(path, key: tenant.key)
                try page.expect(.ok)
                #expect(page["count"]?.integerValue == page.results.count)
                seen += page.ids
                cursor = page["cursor"]?.stringValue
                #expect((page["hasMore"] == true) == (cursor != nil))
                pages += 1
                // Writers keep going between pages.
                for _ in 0..<3 { try await server.makeThing(tenant, name: "inserted while paging") }
            } while cursor != nil && pages < 50

            #expect(Set(seen).count == seen.count, "no thing appears twice")
            #expect(Set(initial).isSubset(of: Set(seen)), "every thing that existed before paging is seen")
            #expect(pages == 8)
        }
    }

    @Test("events page by sequence, oldest first, and the timeline newest first", arguments: TestStore.available)
    func eventPages(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let tenant = try await server.makeTenant()
            for index in 0..<30 { try await server.makeThing(tenant, name: "t\(index)") }
            var sequences: [Int] = []
            var cursor: String?
            repeat {
                let page = try await server.api.get("/api/events?limit=7" + (cursor.map { "&cursor=\($0)" } ?? ""), key: tenant.key)
                sequences += page.results.compactMap { $0["sequence"]?.integerValue }
                cursor = page["cursor"]?.stringValue
            } while cursor != nil
            #expect(sequences.count >= 30)
            #expect(sequences == sequences.sorted())
            #expect(Set(sequences).count == sequences.count)
            let timeline = try await server.api.get("/api/events/timeline?limit=5", key: tenant.key)
            let newest = timeline.results.compactMap { $0["sequence"]?.integerValue }
            #expect(newest == Array(sequences.suffix(5).reversed()))
            try await server.api.get("/api/events?cursor=\("dGhpbmc")", key: tenant.key).expectError(.badRequest, "INVALID_CURSOR")
        }
    }

    @Test("list filters of the wrong form are a 400 naming the filter", arguments: TestStore.available)
    func badFilters(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let tenant = try await server.makeTenant()
            try await server.expectUnchanged(tenant.groupId) {
                let cases: [(String, String, String)] = [
                    ("/api/connections?fromId=nope", "INVALID_ID", "fromId"),
                    ("/api/connections?toId=grp_00000000000000000000000000", "INVALID_ID", "toId"),
                    ("/api/knowledge?sourceThingId=x", "INVALID_ID", "sourceThingId"),
                    ("/api/groups?parentId=thg_00000000000000000000000000", "INVALID_ID", "parentId"),
                    ("/api/events?order=sideways", "VALIDATION_ERROR", "order"),
                    ("/api/events?until=-5", "VALIDATION_ERROR", "until"),
                ]
                for (path, code, field) in cases {
                    try await server.api.get(path, key: tenant.key).expectError(.badRequest, code, field: field)
                }
            }
            let newest = try await server.api.get("/api/events?order=desc", key: tenant.key).results.compactMap { $0["sequence"]?.integerValue }
            #expect(newest == newest.sorted(by: >))
        }
    }
}
