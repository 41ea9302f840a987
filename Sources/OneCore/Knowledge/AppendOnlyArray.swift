import Synchronization

/// Elements appended in fixed blocks that copies share, never changed once appended.
///
/// A search holds a copy of its group's index while the index's writer goes on appending; with
/// `Array`, the writer's next append would copy every element (with 100,000 chunks, several
/// milliseconds of retains). Here a copy sees its first `count` elements, and an append writes
/// past them in the shared last block, so no element is copied. Two copies appending after one
/// another stay values: the block's next free place is claimed atomically, and a copy that finds
/// it taken by another takes its own copy of that block first.
struct AppendOnlyArray<Element: Sendable>: RandomAccessCollection, @unchecked Sendable {
    private final class Block: @unchecked Sendable {
        /// Small enough that an index of a few chunks holds little; large enough that a copy of
        /// `blocks` is a few hundred references at 100,000.
        static var capacity: Int { 256 }
        let storage = UnsafeMutablePointer<Element>.allocate(capacity: Block.capacity)
        /// Places initialised, claimed by the copy that appends.
        let filled = Atomic<Int>(0)

        deinit {
            storage.deinitialize(count: filled.load(ordering: .acquiring))
            storage.deallocate()
        }
    }

    private var blocks: [Block] = []
    private(set) var count = 0

    init() {}

    init<Elements: Sequence<Element>>(_ elements: Elements) {
        for element in elements { append(element) }
    }

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(position: Int) -> Element {
        precondition(position >= 0 && position < count, "index out of range")
        return blocks[position / Block.capacity].storage[position % Block.capacity]
    }

    mutating func append(_ element: Element) {
        let offset = count % Block.capacity
        if offset == 0 {
            let block = Block()
            block.filled.store(1, ordering: .releasing)
            blocks.append(block)
        } else if !blocks[blocks.count - 1].filled.compareExchange(
            expected: offset, desired: offset + 1, ordering: .acquiringAndReleasing
        ).exchanged {
            // Another copy appended here since this one was made: this one goes on in a block of its own.
            let own = Block()
            own.storage.initialize(from: blocks[blocks.count - 1].storage, count: offset)
            own.filled.store(offset + 1, ordering: .releasing)
            blocks[blocks.count - 1] = own
        }
        (blocks[blocks.count - 1].storage + offset).initialize(to: element)
        count += 1
    }
}
