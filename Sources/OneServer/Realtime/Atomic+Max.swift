import Synchronization

extension Atomic where Value == Int64 {
    /// Raises the value to `candidate` if that is larger.
    func max(_ candidate: Int64) {
        var current = load(ordering: .relaxed)
        while current < candidate {
            let (exchanged, original) = compareExchange(expected: current, desired: candidate, ordering: .acquiringAndReleasing)
            if exchanged { return }
            current = original
        }
    }
}
