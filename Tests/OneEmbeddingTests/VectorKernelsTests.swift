import Testing
import OneEmbedding

struct VectorKernelsTests {
    /// Deterministic values in [-1, 1).
    func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 23) - 1
        }
    }

    func expectedScores(_ query: [Float], _ matrix: [Float]) -> [Double] {
        stride(from: 0, to: matrix.count, by: query.count).map { start in
            zip(query, matrix[start..<(start + query.count)]).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
    }

    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))  // no Float16 on Intel Macs
    @Test("f16 scores equal dot products", arguments: [(rows: 1003, dim: 384), (rows: 7, dim: 37), (rows: 0, dim: 8)])
    func f16Scores(rows: Int, dim: Int) {
        let query = values(dim, seed: 3)
        let halves = values(rows * dim, seed: 4).map { Float16($0) }
        var scores = [Float](repeating: .nan, count: rows)
        query.withUnsafeBufferPointer { q in
            halves.withUnsafeBufferPointer { m in
                scores.withUnsafeMutableBufferPointer { VectorKernels.scores(query: q, matrix: m, into: $0) }
            }
        }
        for (score, expected) in zip(scores, expectedScores(query, halves.map(Float.init))) {
            #expect(abs(Double(score) - expected) < 1e-3)
        }
    }
    #endif
}
