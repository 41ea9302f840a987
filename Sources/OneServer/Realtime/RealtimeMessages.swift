import NIOCore
import OneCore

/// A message from a client: `{"type": "subscribe", "id", "query", "args"}` or
/// `{"type": "unsubscribe", "id"}`.
struct ClientMessage {
    enum Kind: String {
        case subscribe, unsubscribe
    }

    static let maxIdLength = 64

    let type: Kind
    /// The client's name for the subscription, echoed on every message about it.
    let id: String
    let query: String?
    let args: JSONValue?

    init(_ text: String) throws(OneError) {
        guard case .object(let object) = try JSONValue(jsonText: text) else {
            throw OneError(.invalidJSON, "a message must be a JSON object")
        }
        let known: Set<String> = ["type", "id", "query", "args"]
        if let unknown = object.keys.first(where: { !known.contains($0) }) {
            throw OneError.validation(unknown, "unknown field \(unknown); a message has type, id, query and args")
        }
        guard let typeName = object["type"]?.stringValue, let type = Kind(rawValue: typeName) else {
            throw OneError.validation("type", "type must be subscribe or unsubscribe")
        }
        guard let id = object["id"]?.stringValue, (1...Self.maxIdLength).contains(id.utf8.count),
            id.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 32 && $0.value < 127 })
        else {
            throw OneError.validation("id", "id must be 1 to \(Self.maxIdLength) printable ASCII characters")
        }
        self.type = type
        self.id = id
        self.query = object["query"]?.stringValue
        self.args = object["args"]
    }
}

/// The messages the server sends, written straight into frames.
enum ServerMessage {
    /// A whole WebSocket text frame, header and all, of
    /// `{"type":"result","id":…,"seq":…,"value":…}`: `value` is the REST route's body, and
    /// `seq` the position in the change log that the result includes every change up to. One
    /// frame is written as it is to every subscriber that named its subscription `id`.
    static func resultFrame(id: String, sequence: Int64, value: [UInt8]) -> ByteBuffer {
        var head: [UInt8] = []
        head.reserveCapacity(id.utf8.count + 64)
        head.append(contentsOf: #"{"type":"result","id":"#.utf8)
        JSONValue.string(id).write(into: &head)
        head.append(contentsOf: #","seq":"#.utf8)
        head.append(contentsOf: String(sequence).utf8)
        head.append(contentsOf: #","value":"#.utf8)
        let length = head.count + value.count + 1
        var buffer = ByteBufferAllocator().buffer(capacity: length + 10)
        writeTextFrameHeader(length: length, into: &buffer)
        buffer.writeBytes(head)
        buffer.writeBytes(value)
        buffer.writeInteger(UInt8(ascii: "}"))
        return buffer
    }

    /// `payload` as a whole WebSocket text frame.
    static func textFrame(_ payload: ByteBuffer) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: payload.readableBytes + 10)
        writeTextFrameHeader(length: payload.readableBytes, into: &buffer)
        buffer.writeImmutableBuffer(payload)
        return buffer
    }

    /// The header of a final, unmasked text frame (RFC 6455 §5.2): servers never mask.
    private static func writeTextFrameHeader(length: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0x81))
        switch length {
        case ..<126:
            buffer.writeInteger(UInt8(length))
        case ...0xFFFF:
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        default:
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
    }

    /// `{"type":"error","id":…,"code":…,"error":…,"field":…}`; `id` is null when the message
    /// itself could not be read.
    static func error(id: String?, _ error: OneError) -> ByteBuffer {
        var object = ErrorBody(error).json.objectValue ?? [:]
        object["type"] = "error"
        object["id"] = id.map(JSONValue.string) ?? .null
        if let retryAfter = error.retryAfter { object["retryAfter"] = .integer(Int64(retryAfter)) }
        var bytes: [UInt8] = []
        JSONValue.object(object).write(into: &bytes)
        return ByteBuffer(bytes: bytes)
    }
}
