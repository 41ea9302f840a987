import COneKernels

/// The all-MiniLM-L6-v2 network (a 6-layer, 384-wide BERT) with its weights
/// laid out for the C kernels, plus the sentence-embedding forward pass:
/// embeddings, encoder layers, mean pooling over all tokens, L2 normalisation.
struct BertEncoder: Sendable {
    static let hiddenSize = 384
    static let headCount = 12
    static let headSize = hiddenSize / headCount
    static let intermediateSize = 1536
    static let layerCount = 6
    static let maxPositions = 512

    /// Rows of the word-embedding table; every token id must be below this.
    let vocabularySize: Int
    private let wordEmbeddings: [Float]
    private let positionEmbeddings: [Float]
    /// Row 0 of the token-type table: single-sentence inputs use type 0 throughout.
    private let tokenTypeEmbedding: [Float]
    private let embeddingNorm: LayerNorm
    private let layers: [EncoderLayer]

    /// Builds the network from a BERT checkpoint, checking every tensor's dtype and shape.
    init(_ weights: SafeTensors) throws(MiniLMError) {
        let hidden = Self.hiddenSize
        let wordName = "embeddings.word_embeddings.weight"
        guard let wordInfo = weights.tensors[wordName] else {
            throw .missingTensor(name: wordName, path: weights.path)
        }
        guard wordInfo.shape.count == 2, wordInfo.shape[1] == hidden, wordInfo.shape[0] > 0 else {
            throw .invalidTensor(name: wordName, reason: "shape is \(wordInfo.shape), expected [vocabulary, \(hidden)]")
        }
        vocabularySize = wordInfo.shape[0]
        wordEmbeddings = try weights.floats(wordName, shape: wordInfo.shape)
        positionEmbeddings = try weights.floats("embeddings.position_embeddings.weight", shape: [Self.maxPositions, hidden])
        tokenTypeEmbedding = Array(try weights.floats("embeddings.token_type_embeddings.weight", shape: [2, hidden]).prefix(hidden))
        embeddingNorm = try LayerNorm(weights, prefix: "embeddings.LayerNorm", size: hidden)
        var layers: [EncoderLayer] = []
        for index in 0..<Self.layerCount {
            layers.append(try EncoderLayer(weights, index: index))
        }
        self.layers = layers
    }

    /// Embeds a batch of token sequences (each with `[CLS]`/`[SEP]`, at most
    /// `maxPositions` long, ids below `vocabularySize`) in one pass, so the
    /// weight matrices are streamed once per batch rather than once per text.
    /// Returns one L2-normalised `hiddenSize` vector per sequence, in order.
    func embed(_ batch: ArraySlice<[Int32]>, workspace: borrowing ForwardWorkspace) -> [[Float]] {
        let lengths = batch.map(\.count)
        let rows = lengths.reduce(0, +)
        precondition(rows <= workspace.rows && (lengths.max() ?? 0) <= workspace.longestSequence,
                     "workspace too small for batch")
        writeEmbeddings(batch, into: workspace.hidden)
        embeddingNorm.apply(workspace.hidden, adding: nil, rows: rows)
        for layer in layers {
            layer.apply(lengths: lengths, rows: rows, workspace: workspace)
        }

        var vectors: [[Float]] = []
        vectors.reserveCapacity(lengths.count)
        var row = 0
        for length in lengths {
            var vector = [Float](repeating: 0, count: Self.hiddenSize)
            one_mean_pool_l2(workspace.hidden + row * Self.hiddenSize, Int32(length), Int32(Self.hiddenSize), &vector)
            vectors.append(vector)
            row += length
        }
        return vectors
    }

    /// word + position + token-type embeddings for every token, rows back to back.
    private func writeEmbeddings(_ batch: ArraySlice<[Int32]>, into output: UnsafeMutablePointer<Float>) {
        let hidden = Self.hiddenSize
        wordEmbeddings.withUnsafeBufferPointer { words in
            positionEmbeddings.withUnsafeBufferPointer { positions in
                tokenTypeEmbedding.withUnsafeBufferPointer { tokenType in
                    var destination = output
                    for ids in batch {
                        precondition(ids.count <= Self.maxPositions, "sequence longer than the position table")
                        for (position, id) in ids.enumerated() {
                            precondition(id >= 0 && Int(id) < vocabularySize, "token id outside the embedding table")
                            let word = Int(id) * hidden
                            let place = position * hidden
                            for d in 0..<hidden {
                                destination[d] = words[word + d] + positions[place + d] + tokenType[d]
                            }
                            destination += hidden
                        }
                    }
                }
            }
        }
    }
}
