import Testing

@testable import OneCore

@Suite("Page(fetched:limit:key:)")
struct PageTests {
    @Test("hasMore, items and nextAfter from limit + 1 fetched rows", arguments: [
        // fetched, limit, expected items, hasMore, nextAfter
        (0, 3, 0, false, nil),
        (1, 3, 1, false, nil),
        (3, 3, 3, false, nil),
        (4, 3, 3, true, "id2"),
        (2, 1, 1, true, "id0"),
        (1, 1, 1, false, nil),
        (50, 49, 49, true, "id48"),
    ] as [(Int, Int, Int, Bool, String?)])
    func slicing(fetched: Int, limit: Int, items: Int, hasMore: Bool, nextAfter: String?) {
        let rows = (0..<fetched).map { "id\($0)" }
        let page = Page(fetched: rows, limit: limit) { $0 }
        #expect(page.items == Array(rows.prefix(items)))
        #expect(page.items.count == items)
        #expect(page.hasMore == hasMore)
        #expect(page.nextAfter == nextAfter)
    }

    @Test("nextAfter is the key of the last returned item, not of the extra row")
    func nextAfterUsesKey() {
        struct Row: Sendable { var id: String; var sequence: Int64 }
        let rows = [Row(id: "a", sequence: 7), Row(id: "b", sequence: 8), Row(id: "c", sequence: 9)]
        let page = Page(fetched: rows, limit: 2) { String($0.sequence) }
        #expect(page.items.map(\.id) == ["a", "b"])
        #expect(page.hasMore)
        #expect(page.nextAfter == "8")
    }
}
