import COneKernels

/// Scratch memory for one forward pass over a batch of at most `rows` tokens
/// whose longest sequence has at most `longestSequence` tokens.
///
/// One allocation per `MiniLM.embed` call, owned by the caller's stack frame
/// (non-copyable, freed in `deinit`), so concurrent calls never share buffers.
struct ForwardWorkspace: ~Copyable {
    let rows: Int
    let longestSequence: Int
    /// Hidden states, `[rows, hidden]`.
    let hidden: UnsafeMutablePointer<Float>
    /// Second hidden-state buffer: the layer writes here, then the two swap roles.
    let spare: UnsafeMutablePointer<Float>
    /// Fused query/key/value projections, `[rows, 3 * hidden]`.
    let queryKeyValue: UnsafeMutablePointer<Float>
    /// Attention output before its projection, `[rows, hidden]`.
    let context: UnsafeMutablePointer<Float>
    /// Feed-forward activations, `[rows, intermediate]`.
    let intermediate: UnsafeMutablePointer<Float>
    /// Per-sequence attention scratch (`one_attention_scratch_count`).
    let attention: UnsafeMutablePointer<Float>
    private let storage: UnsafeMutableRawPointer

    init(rows: Int, longestSequence: Int) {
        let hiddenSize = BertEncoder.hiddenSize
        let sizes = [
            rows * hiddenSize,
            rows * hiddenSize,
            rows * 3 * hiddenSize,
            rows * hiddenSize,
            rows * BertEncoder.intermediateSize,
            one_attention_scratch_count(Int32(longestSequence), Int32(BertEncoder.headSize)),
        ]
        // Round each buffer up to a 64-byte multiple so every one starts cache-line aligned.
        let padded = sizes.map { ($0 + 15) & ~15 }
        storage = UnsafeMutableRawPointer.allocate(byteCount: padded.reduce(0, +) * MemoryLayout<Float>.stride, alignment: 64)
        let base = storage.bindMemory(to: Float.self, capacity: padded.reduce(0, +))
        var offsets: [Int] = []
        var offset = 0
        for size in padded {
            offsets.append(offset)
            offset += size
        }
        hidden = base + offsets[0]
        spare = base + offsets[1]
        queryKeyValue = base + offsets[2]
        context = base + offsets[3]
        intermediate = base + offsets[4]
        attention = base + offsets[5]
        self.rows = rows
        self.longestSequence = longestSequence
    }

    deinit {
        storage.deallocate()
    }
}
