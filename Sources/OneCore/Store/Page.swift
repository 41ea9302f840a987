/// Which slice of a list to read: at most `limit` records after the keyset position `after`.
public struct PageRequest: Sendable, Equatable {
    public var limit: Int
    /// The sort key of the last record already seen (an ID, or a sequence for events).
    public var after: String?

    public init(limit: Int, after: String? = nil) {
        self.limit = limit
        self.after = after
    }
}

/// One slice of a list, and whether more follows.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var hasMore: Bool
    /// The sort key to continue after, when `hasMore`.
    public var nextAfter: String?

    public init(items: [Item], hasMore: Bool, nextAfter: String?) {
        self.items = items
        self.hasMore = hasMore
        self.nextAfter = nextAfter
    }

    /// Builds a page from `limit + 1` fetched rows: the extra row only tells that more exists.
    public init(fetched: [Item], limit: Int, key: (Item) -> String) {
        self.hasMore = fetched.count > limit
        self.items = Array(fetched.prefix(limit))
        self.nextAfter = hasMore ? items.last.map(key) : nil
    }
}
