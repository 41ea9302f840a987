import Foundation
import Testing
@testable import OneEmbedding

struct SafeTensorsTests {
    /// A safetensors image with the given JSON header and data section.
    func image(header: String, data: [UInt8] = []) -> Data {
        let json = Array(header.utf8)
        var bytes = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(json.count) >> (8 * UInt64($0))) }
        bytes += json + data
        return Data(bytes)
    }

    func floatBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * UInt32($0))) } }
    }

    @Test func readsF32Tensors() throws {
        let header = #"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#
        let file = try SafeTensors(data: image(header: header, data: floatBytes([1, -2, 3.5, 0.25])), path: "t")
        #expect(try file.floats("w", shape: [2, 2]) == [1, -2, 3.5, 0.25])
    }

    @Test func reportsMalformedFiles() {
        #expect(throws: MiniLMError.self) { try SafeTensors(data: Data([1, 2, 3]), path: "t") }
        #expect(throws: MiniLMError.self) { try SafeTensors(data: image(header: "{not json"), path: "t") }
        let overrun = #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#
        #expect(throws: MiniLMError.self) { try SafeTensors(data: image(header: overrun, data: [0, 0]), path: "t") }
        var lying = image(header: "{}")
        lying[0] = 0xFF
        #expect(throws: MiniLMError.self) { try SafeTensors(data: lying, path: "t") }
    }

    @Test func reportsMissingAndMismatchedTensors() throws {
        let header = #"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"v":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let file = try SafeTensors(data: image(header: header, data: [UInt8](repeating: 0, count: 8)), path: "t")
        #expect(throws: MiniLMError.missingTensor(name: "x", path: "t")) { try file.floats("x", shape: [1]) }
        #expect(throws: MiniLMError.invalidTensor(name: "w", reason: "dtype is F16, expected F32")) {
            try file.floats("w", shape: [2])
        }
        #expect(throws: MiniLMError.invalidTensor(name: "v", reason: "shape is [1], expected [2]")) {
            try file.floats("v", shape: [2])
        }
    }

    @Test func missingModelFilesNameTheFix() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("minilm-missing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = #expect(throws: MiniLMError.self) { try MiniLM(directory: directory) }
        #expect(error?.description == "model.safetensors not found in \(directory.path); run `one models pull`")
    }
}
