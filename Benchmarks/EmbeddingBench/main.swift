// embedding-bench: in-process throughput of the local embedding model (one thread), of the
// vector-search scan kernels, and of the exact top-10 search the server runs (VectorRows), over
// 100,000 × 384 vectors. `scripts/bench-knowledge` runs it beside the HTTP figures.
//
// Usage: embedding-bench <model-dir>   (or set ONE_MODELS_DIR; without a model only the search
// figures are printed). Build with `swift build -c release`; debug builds are much slower.

import COneKernels
import Foundation
import OneCore
import OneEmbedding

/// Deterministic generator (SplitMix64) so every run embeds the same texts.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func nextUnitFloat() -> Float { Float(next() >> 40) / Float(1 << 24) * 2 - 1 }
}

let words = """
    the a of to and in is for on with that as by at from this be are was it an or have not \
    search vector embedding model server request response index query document text sentence \
    fast quick brown fox jumps over lazy dog river bank market price growth weather rain sunny \
    engineer builds ships tests reviews code swift memory cache latency throughput benchmark \
    people city country history science music film book game team player season report data \
    network storage database cluster node thread kernel compiler language runtime library
    """.split(separator: " ").map(String.init)

func shortTexts(count: Int, generator: inout SplitMix64) -> [String] {
    (0..<count).map { _ in
        let length = 5 + generator.next(below: 11)
        var sentence = (0..<length).map { _ in words[generator.next(below: words.count)] }.joined(separator: " ")
        sentence.replaceSubrange(sentence.startIndex...sentence.startIndex, with: sentence.prefix(1).uppercased())
        return sentence + "."
    }
}

/// IEEE half-precision bit pattern of `value` (round to nearest even).
func halfBits(_ value: Float) -> UInt16 {
    #if (os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64)
    // No Float16 on Intel Macs: truncate instead (fine for timing).
    let bits = value.bitPattern
    let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
    let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
    guard exponent > 0 else { return sign }
    guard exponent < 31 else { return sign | 0x7C00 }
    return sign | UInt16(exponent) << 10 | UInt16(truncatingIfNeeded: (bits >> 13) & 0x3FF)
    #else
    Float16(value).bitPattern
    #endif
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

func medianMilliseconds(runs: Int, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    let samples = (0..<runs).map { _ in seconds(clock.measure(body)) * 1000 }.sorted()
    return runs % 2 == 1 ? samples[runs / 2] : (samples[runs / 2 - 1] + samples[runs / 2]) / 2
}

print("kernels: \(String(cString: one_kernels_isa()))")
let clock = ContinuousClock()
var generator = SplitMix64(state: 42)
if let directory = CommandLine.arguments.dropFirst().first ?? ProcessInfo.processInfo.environment["ONE_MODELS_DIR"] {
    do {
        let start = clock.now
        let model = try MiniLM(directory: URL(fileURLWithPath: directory))
        print(String(format: "load: %.0f ms", seconds(clock.now - start) * 1000))
        embeddingThroughput(model, &generator)
    } catch {
        print("error: \(error)")
        exit(1)
    }
} else {
    print("no model directory given: embedding figures skipped (usage: embedding-bench <model-dir>)")
}

func embeddingThroughput(_ model: MiniLM, _ generator: inout SplitMix64) {
let clock = ContinuousClock()
let texts = shortTexts(count: 1000, generator: &generator)
var tokens = 0
let tokenizing = seconds(clock.measure { tokens = texts.reduce(0) { $0 + model.tokenCount($1) + 2 } })
print(String(format: "texts: %d short texts (5-15 words), %.1f tokens each on average", texts.count, Double(tokens) / Double(texts.count)))
print(String(format: "tokenize: %.1f µs/text", tokenizing * 1e6 / Double(texts.count)))
_ = model.embed(Array(texts.prefix(50)))  // warm up caches and page in the weights

let batched = seconds(clock.measure { _ = model.embed(texts) })
print(String(format: "embed, one call with all texts: %.0f texts/s (%.2f ms/text)", Double(texts.count) / batched, batched * 1000 / Double(texts.count)))
let single = seconds(clock.measure { for text in texts { _ = model.embed([text]) } })
print(String(format: "embed, one call per text:       %.0f texts/s (%.2f ms/text)", Double(texts.count) / single, single * 1000 / Double(texts.count)))
}

let rows = 100_000
let dim = MiniLM.dimensions
let query = (0..<dim).map { _ in generator.nextUnitFloat() }
let matrix = (0..<(rows * dim)).map { _ in generator.nextUnitFloat() * 0.1 }
let halfMatrix = matrix.map(halfBits)
var scores = [Float](repeating: 0, count: rows)
let f16 = medianMilliseconds(runs: 10) {
    query.withUnsafeBufferPointer { q in
        halfMatrix.withUnsafeBufferPointer { m in
            scores.withUnsafeMutableBufferPointer { VectorKernels.scores(query: q, halfMatrix: m, into: $0) }
        }
    }
}
print(String(format: "scan %dx%d f16: %.2f ms (median of 10)", rows, dim, f16))

// The server's exact search: every row scored, the best 10 kept, on one thread and shared by all cores.
var index = VectorRows(model: "bench", dimensions: dim)
for row in 0..<rows {
    let vector = Array(matrix[(row * dim)..<((row + 1) * dim)])
    index.add(IndexedChunk(id: "knw_\(row)", text: "", vector: vector, documentId: nil, sourceThingId: nil, labels: []))
}
for parallelism in Set([1, VectorRows.cores]).sorted() {
    let top10 = medianMilliseconds(runs: 10) { _ = index.nearest(to: query, limit: 10, filters: KnowledgeFilters(), parallelism: parallelism) }
    print(String(format: "exact top-10 over %dx%d (f16, %d thread%@): %.2f ms (median of 10)", rows, dim, parallelism, parallelism == 1 ? "" : "s", top10))
}
