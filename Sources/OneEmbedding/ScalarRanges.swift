/// An immutable set of Unicode scalar values stored as sorted, disjoint
/// closed ranges, with binary-search membership.
struct ScalarRanges: Sendable {
    private let lowers: [UInt32]
    private let uppers: [UInt32]

    /// `pairs` is a flat list `[lo0, hi0, lo1, hi1, ...]` of sorted, disjoint, inclusive ranges.
    init(pairs: [UInt32]) {
        precondition(pairs.count.isMultiple(of: 2), "ranges come in lower/upper pairs")
        lowers = stride(from: 0, to: pairs.count, by: 2).map { pairs[$0] }
        uppers = stride(from: 1, to: pairs.count, by: 2).map { pairs[$0] }
    }

    func contains(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        // Index of the first range whose upper bound is >= value.
        var low = 0
        var high = uppers.count
        while low < high {
            let middle = (low + high) / 2
            if uppers[middle] < value {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low < lowers.count && lowers[low] <= value
    }
}
