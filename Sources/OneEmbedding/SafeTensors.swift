import Foundation

/// A read-only view of a `.safetensors` file.
///
/// The format is an 8-byte little-endian header length, a JSON header mapping
/// tensor names to `{dtype, shape, data_offsets}` (offsets relative to the end
/// of the header), then the raw little-endian tensor bytes. The file is memory
/// mapped; tensors are copied out on request, so the view can be dropped as
/// soon as the model has been built.
struct SafeTensors {
    /// Where one tensor lives in the file.
    struct TensorInfo: Equatable, Sendable {
        /// Element type as spelled in the header, e.g. `F32`.
        let dtype: String
        let shape: [Int]
        /// Byte range within the data section.
        let byteRange: Range<Int>
    }

    /// Upper bound on the JSON header, far above any real model (guards against garbage lengths).
    static let maxHeaderLength = 100 * 1024 * 1024

    let path: String
    /// All tensors in the file, by name (the `__metadata__` entry is skipped).
    let tensors: [String: TensorInfo]
    private let data: Data
    private let dataStart: Int

    /// Maps the file at `url` and validates its header.
    init(contentsOf url: URL) throws(MiniLMError) {
        let path = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw .unreadableFile(path: path, reason: error.localizedDescription)
        }
        try self.init(data: data, path: path)
    }

    /// Parses an in-memory safetensors image; `path` is used in error messages.
    init(data: Data, path: String) throws(MiniLMError) {
        guard data.count >= 8 else {
            throw .malformedSafeTensors(path: path, reason: "file is \(data.count) bytes, shorter than the 8-byte header length")
        }
        var headerLength: UInt64 = 0
        for (index, byte) in data.prefix(8).enumerated() {
            headerLength |= UInt64(byte) << (8 * UInt64(index))
        }
        guard headerLength <= UInt64(Self.maxHeaderLength), Int(headerLength) <= data.count - 8 else {
            throw .malformedSafeTensors(path: path, reason: "header length \(headerLength) exceeds the file size \(data.count)")
        }
        let dataStart = 8 + Int(headerLength)
        let header: Header
        do {
            let start = data.startIndex
            header = try JSONDecoder().decode(Header.self, from: data[(start + 8)..<(start + dataStart)])
        } catch {
            throw .malformedSafeTensors(path: path, reason: "header is not valid JSON: \(error)")
        }

        let dataLength = data.count - dataStart
        var tensors: [String: TensorInfo] = [:]
        for (name, entry) in header.entries {
            guard entry.dataOffsets.count == 2,
                  entry.dataOffsets[0] >= 0,
                  entry.dataOffsets[0] <= entry.dataOffsets[1],
                  entry.dataOffsets[1] <= dataLength
            else {
                throw .malformedSafeTensors(path: path, reason: "tensor \(name) has data offsets \(entry.dataOffsets) outside the \(dataLength)-byte data section")
            }
            guard entry.shape.allSatisfy({ $0 >= 0 }) else {
                throw .malformedSafeTensors(path: path, reason: "tensor \(name) has a negative dimension in shape \(entry.shape)")
            }
            tensors[name] = TensorInfo(dtype: entry.dtype, shape: entry.shape, byteRange: entry.dataOffsets[0]..<entry.dataOffsets[1])
        }
        self.path = path
        self.tensors = tensors
        self.data = data
        self.dataStart = dataStart
    }

    /// Copies out the F32 tensor `name`, checking it has exactly `shape`.
    func floats(_ name: String, shape: [Int]) throws(MiniLMError) -> [Float] {
        guard let info = tensors[name] else { throw .missingTensor(name: name, path: path) }
        guard info.dtype == "F32" else {
            throw .invalidTensor(name: name, reason: "dtype is \(info.dtype), expected F32")
        }
        guard info.shape == shape else {
            throw .invalidTensor(name: name, reason: "shape is \(info.shape), expected \(shape)")
        }
        let count = shape.reduce(1, *)
        guard info.byteRange.count == count * MemoryLayout<Float>.size else {
            throw .invalidTensor(name: name, reason: "holds \(info.byteRange.count) bytes, expected \(count * MemoryLayout<Float>.size) for shape \(shape)")
        }
        let offset = dataStart + info.byteRange.lowerBound
        var values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + count * 4)]))
            }
            initialized = count
        }
        #if _endian(big)
        for index in values.indices {
            values[index] = Float(bitPattern: UInt32(littleEndian: values[index].bitPattern))
        }
        #endif
        return values
    }
}

/// The JSON header: tensor name -> entry, plus an optional `__metadata__` object we ignore.
private struct Header: Decodable {
    struct Entry: Decodable {
        let dtype: String
        let shape: [Int]
        let dataOffsets: [Int]

        enum CodingKeys: String, CodingKey {
            case dtype, shape
            case dataOffsets = "data_offsets"
        }
    }

    struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    let entries: [String: Entry]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var entries: [String: Entry] = [:]
        for key in container.allKeys where key.stringValue != "__metadata__" {
            entries[key.stringValue] = try container.decode(Entry.self, forKey: key)
        }
        self.entries = entries
    }
}
