import COneKernels

/// Dot-product scoring for exact (brute-force) vector search.
///
/// Thin wrappers over the SIMD kernels in `COneKernels` (AVX2/FMA/F16C when
/// the CPU has them, scalar otherwise). With L2-normalised vectors the score
/// is the cosine similarity. The matrix is row-major, one vector per row, and
/// is only read; scanning is bound by memory bandwidth, which is why the
/// matrix is half precision (the server's index stores its vectors so).
public enum VectorKernels {
    /// Writes `dot(query, row i)` to `scores[i]` for every row of a
    /// `scores.count × query.count` matrix of IEEE 754 half-precision values
    /// given as their bit patterns (`Float16.bitPattern`), the portable storage
    /// format for half-precision vectors.
    ///
    /// - Precondition: `matrix.count == scores.count * query.count`.
    public static func scores(
        query: UnsafeBufferPointer<Float>,
        halfMatrix matrix: UnsafeBufferPointer<UInt16>,
        into scores: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(matrix.count == scores.count * query.count, "matrix must hold scores.count rows of query.count halves")
        guard let q = query.baseAddress, let m = matrix.baseAddress, let out = scores.baseAddress else { return }
        one_scores_f16(q, m, scores.count, Int32(query.count), out)
    }

    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    /// As `scores(query:halfMatrix:into:)` for a `Float16` matrix.
    ///
    /// - Precondition: `matrix.count == scores.count * query.count`.
    public static func scores(
        query: UnsafeBufferPointer<Float>,
        matrix: UnsafeBufferPointer<Float16>,
        into scores: UnsafeMutableBufferPointer<Float>
    ) {
        matrix.withMemoryRebound(to: UInt16.self) { bits in
            Self.scores(query: query, halfMatrix: bits, into: scores)
        }
    }
    #endif
}
