/// Which slot of an index holds each chunk: what the index's single writer needs to skip a
/// chunk it holds already and to find one to remove, and what no search reads.
///
/// Copies of an index share one table instead of each copying it: a search holds a copy
/// whenever the writer catches up, and copying 100,000 IDs costs milliseconds. Only the copy
/// that made the last change may use the table (``isCurrent``), and only on the writer's
/// thread of the moment: another copy that is to change renumbers its own from its rows first.
/// A copy that read it regardless, after the writer moved on, traps; the check is not
/// synchronised, so it catches a misuse in sequence, not one racing the writer.
struct WriterSlots: @unchecked Sendable {
    private final class Table {
        var slots: [String: Int] = [:]
        var version = 0
    }

    private var table = Table()
    private var version = 0

    init() {}

    init<Slots: Sequence<(id: String, slot: Int)>>(_ slots: Slots) {
        for (id, slot) in slots { self[id] = slot }
    }

    /// Whether this copy made the table's last change, and so may use it.
    var isCurrent: Bool { version == table.version }

    subscript(id: String) -> Int? {
        get {
            requireOwner()
            return table.slots[id]
        }
        set {
            requireOwner()
            table.slots[id] = newValue
            table.version += 1
            version = table.version
        }
    }

    /// Removes `id`, answering the slot that held it.
    mutating func remove(_ id: String) -> Int? {
        guard let slot = self[id] else { return nil }
        self[id] = nil
        return slot
    }

    private func requireOwner() {
        precondition(isCurrent, "only the copy of an index that changed it last may use its slots")
    }
}
