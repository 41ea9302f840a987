import COneKernels

/// A linear layer, `y = x Wᵀ + b`, whose weight has been repacked once, at
/// load time, into the panel layout the GEMM kernel streams (see
/// `one_pack_weight`), so no transposition or copying happens per call.
///
/// The packed weight lives in 64-byte aligned memory that is written only by
/// `init` and read-only afterwards; that immutability is what makes sharing
/// an instance across threads safe, hence `@unchecked Sendable`.
final class PackedLinear: @unchecked Sendable {
    /// Input features (`k`).
    let inputs: Int
    /// Output features (`n`).
    let outputs: Int
    private let storage: UnsafeMutableRawPointer
    private let packed: UnsafePointer<Float>
    private let bias: [Float]

    /// - Parameters:
    ///   - weight: PyTorch layout, `[outputs, inputs]` row-major.
    ///   - bias: `outputs` values.
    init(weight: [Float], bias: [Float], outputs: Int, inputs: Int) {
        precondition(weight.count == outputs * inputs && bias.count == outputs, "Linear weight/bias size mismatch")
        let count = one_packed_weight_count(Int32(outputs), Int32(inputs))
        storage = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        let floats = storage.bindMemory(to: Float.self, capacity: count)
        one_pack_weight(weight, Int32(outputs), Int32(inputs), floats)
        packed = UnsafePointer(floats)
        self.bias = bias
        self.inputs = inputs
        self.outputs = outputs
    }

    deinit {
        storage.deallocate()
    }

    /// Computes `rows` output rows (`[rows, outputs]`) from `input` (`[rows, inputs]`).
    func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        one_linear(input, Int32(rows), Int32(inputs), packed, bias, Int32(outputs), output)
    }
}
