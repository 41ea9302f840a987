import COneKernels

/// Learned LayerNorm parameters (`gamma`, `beta`) applied row-wise, optionally
/// after adding a residual, as BERT does after attention and after the
/// feed-forward block.
struct LayerNorm: Sendable {
    /// BERT's `layer_norm_eps`.
    static let epsilon: Float = 1e-12

    let gamma: [Float]
    let beta: [Float]

    init(gamma: [Float], beta: [Float]) {
        precondition(gamma.count == beta.count, "LayerNorm gamma/beta size mismatch")
        self.gamma = gamma
        self.beta = beta
    }

    /// Loads `<prefix>.weight` and `<prefix>.bias`, each of `size` floats.
    init(_ weights: SafeTensors, prefix: String, size: Int) throws(MiniLMError) {
        self.init(gamma: try weights.floats(prefix + ".weight", shape: [size]),
                  beta: try weights.floats(prefix + ".bias", shape: [size]))
    }

    /// In place: `x = LayerNorm(x + residual)` over `rows` rows of `gamma.count` floats.
    func apply(_ x: UnsafeMutablePointer<Float>, adding residual: UnsafePointer<Float>?, rows: Int) {
        one_layernorm(x, residual, Int32(rows), Int32(gamma.count), gamma, beta, Self.epsilon)
    }
}
