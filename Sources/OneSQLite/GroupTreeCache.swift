import OneCore

/// The group tree as the writer last read it: each group's parent, status and limits, so a
/// write's chain of groups costs no reads once warm.
///
/// Only the writer uses it, one write at a time. Every group a write inserts or updates clears
/// it, and a batch that changed the tree clears it again when it ends, committed or not: what
/// it holds is never a change that was rolled back. Groups change only through this process's
/// writer (the `one` commands that run beside a server never change groups), so it stays true.
final class GroupTreeCache: @unchecked Sendable {
    struct Entry {
        let node: GroupNode
        let parentId: String?
    }

    private var entries: [String: Entry] = [:]
    /// Whether the batch under way changed the tree.
    private(set) var changedInBatch = false

    subscript(id: String) -> Entry? {
        get { entries[id] }
        set { entries[id] = newValue }
    }

    /// Forgets everything: the tree is changing.
    func treeChanged() {
        entries.removeAll(keepingCapacity: true)
        changedInBatch = true
    }

    /// Called when a batch ends, committed or rolled back.
    func batchEnded() {
        if changedInBatch { entries.removeAll(keepingCapacity: true) }
        changedInBatch = false
    }
}
