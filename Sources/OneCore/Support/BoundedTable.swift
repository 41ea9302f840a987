extension Dictionary {
    /// Keeps an in-memory table within `capacity` before an insert: when full, drops the
    /// entries `isStale` picks, and everything if that frees less than half the table. So a
    /// table of busy entries is pruned at most once per `capacity / 2` inserts, never scanned
    /// on every insert.
    public mutating func makeRoom(capacity: Int, droppingWhere isStale: (Value) -> Bool) {
        guard count >= capacity else { return }
        self = filter { !isStale($0.value) }
        if count >= capacity / 2 { removeAll(keepingCapacity: true) }
    }
}
