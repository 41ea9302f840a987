import COneKernels

/// One BERT transformer block: multi-head self-attention and a GELU
/// feed-forward network, each followed by a residual LayerNorm (post-norm).
struct EncoderLayer: Sendable {
    /// Query, key and value projections fused into one `[3 * hidden, hidden]` linear.
    let queryKeyValue: PackedLinear
    let attentionOutput: PackedLinear
    let attentionNorm: LayerNorm
    let intermediate: PackedLinear
    let output: PackedLinear
    let outputNorm: LayerNorm

    /// Loads `encoder.layer.<index>.*` from the checkpoint.
    init(_ weights: SafeTensors, index: Int) throws(MiniLMError) {
        let hidden = BertEncoder.hiddenSize
        let inner = BertEncoder.intermediateSize
        let prefix = "encoder.layer.\(index)."
        func linear(_ name: String, outputs: Int, inputs: Int) throws(MiniLMError) -> PackedLinear {
            PackedLinear(weight: try weights.floats(prefix + name + ".weight", shape: [outputs, inputs]),
                         bias: try weights.floats(prefix + name + ".bias", shape: [outputs]),
                         outputs: outputs, inputs: inputs)
        }

        var fusedWeight: [Float] = []
        var fusedBias: [Float] = []
        fusedWeight.reserveCapacity(3 * hidden * hidden)
        fusedBias.reserveCapacity(3 * hidden)
        for part in ["query", "key", "value"] {
            let name = prefix + "attention.self." + part
            fusedWeight += try weights.floats(name + ".weight", shape: [hidden, hidden])
            fusedBias += try weights.floats(name + ".bias", shape: [hidden])
        }
        queryKeyValue = PackedLinear(weight: fusedWeight, bias: fusedBias, outputs: 3 * hidden, inputs: hidden)
        attentionOutput = try linear("attention.output.dense", outputs: hidden, inputs: hidden)
        attentionNorm = try LayerNorm(weights, prefix: prefix + "attention.output.LayerNorm", size: hidden)
        intermediate = try linear("intermediate.dense", outputs: inner, inputs: hidden)
        output = try linear("output.dense", outputs: hidden, inputs: inner)
        outputNorm = try LayerNorm(weights, prefix: prefix + "output.LayerNorm", size: hidden)
    }

    /// Runs the block over a batch of independent sequences stored back to back
    /// in `workspace.hidden` (`lengths` gives each sequence's token count).
    /// The result is left in `workspace.hidden`; `workspace.spare` is clobbered.
    func apply(lengths: [Int], rows: Int, workspace: borrowing ForwardWorkspace) {
        let hidden = BertEncoder.hiddenSize
        let x = workspace.hidden
        let y = workspace.spare

        queryKeyValue.apply(x, rows: rows, into: workspace.queryKeyValue)
        var row = 0
        for length in lengths {
            // Attention never crosses sequence boundaries: each text attends only to itself.
            one_attention(workspace.queryKeyValue + row * 3 * hidden, Int32(length),
                          Int32(BertEncoder.headCount), Int32(BertEncoder.headSize),
                          workspace.context + row * hidden, workspace.attention)
            row += length
        }
        attentionOutput.apply(workspace.context, rows: rows, into: y)
        attentionNorm.apply(y, adding: x, rows: rows)

        intermediate.apply(y, rows: rows, into: workspace.intermediate)
        one_gelu(workspace.intermediate, rows * BertEncoder.intermediateSize)
        output.apply(workspace.intermediate, rows: rows, into: x)
        outputNorm.apply(x, adding: y, rows: rows)
    }
}
