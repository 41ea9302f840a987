import OneCore
import OneServer
import Testing

/// The realtime socket's WebSocket framing (RFC 6455), seen from a client that writes its
/// frames by hand over a plain TCP connection.
@Suite("Realtime socket protocol")
struct RealtimeProtocolTests {
    @Test("pings are answered with the same data, and a message split over frames is read whole")
    func pingsAndFragments() async throws {
        try await TestServer.run { server in
            let socket = try await RawWebSocket.open(server, key: server.platform.key)
            socket.send(opcode: .ping, Array("are you there".utf8))
            let subscribe = Array(#"{"type":"subscribe","id":"split","query":"things.list"}"#.utf8)
            socket.send(opcode: .text, Array(subscribe[..<20]), fin: false)
            socket.send(opcode: .continuation, Array(subscribe[20...]))
            let frames = try await socket.frames(until: { $0.contains { $0.opcode == .text } })
            let pong = try #require(frames.first { $0.opcode == .pong })
            #expect(pong.payload == Array("are you there".utf8))
            let result = try JSONValue(jsonText: try #require(frames.first { $0.opcode == .text }).text)
            #expect(result["type"] == "result")
            #expect(result["id"] == "split")
        }
    }

    @Test("a binary message, even in fragments, is refused with an error message and the socket stays open")
    func binaryRefused() async throws {
        try await TestServer.run { server in
            let socket = try await RawWebSocket.open(server, key: server.platform.key)
            socket.send(opcode: .binary, [1, 2, 3], fin: false)
            socket.send(opcode: .continuation, [4, 5, 6])
            socket.send(opcode: .text, Array(#"{"type":"subscribe","id":"after","query":"things.list"}"#.utf8))
            let frames = try await socket.frames(until: { $0.filter { $0.opcode == .text }.count == 2 })
            let messages = try frames.filter { $0.opcode == .text }.map { try JSONValue(jsonText: $0.text) }
            #expect(messages[0]["code"] == "INVALID_JSON")
            #expect(messages[1]["type"] == "result")
            #expect(messages[1]["id"] == "after")
            #expect(!frames.contains { $0.opcode == .close })
        }
    }

    @Test("an unmasked frame closes the socket with 1002; a message over 64 KiB with 1009")
    func protocolViolations() async throws {
        try await TestServer.run { server in
            let unmasked = try await RawWebSocket.open(server, key: server.platform.key)
            unmasked.send(opcode: .text, Array(#"{"type":"subscribe"}"#.utf8), masked: false)
            let closing = try await unmasked.frames(until: { $0.contains { $0.opcode == .close } })
            #expect(closing.last?.closeCode == 1002)

            let oversized = try await RawWebSocket.open(server, key: server.platform.key)
            let piece = [UInt8](repeating: UInt8(ascii: " "), count: 40_000)
            oversized.send(opcode: .text, Array("{".utf8) + piece, fin: false)
            oversized.send(opcode: .continuation, piece, fin: false)
            let tooLarge = try await oversized.frames(until: { $0.contains { $0.opcode == .close } })
            #expect(tooLarge.last?.closeCode == 1009)
            #expect(await oversized.connection.readBytesUntilClosed(limit: .seconds(5)).closed, "the server shuts the socket")
        }
    }

    @Test("text that is not UTF-8 closes with 1007; a refused binary message over 64 KiB with 1009")
    func badMessages() async throws {
        try await TestServer.run { server in
            let notUTF8 = try await RawWebSocket.open(server, key: server.platform.key)
            notUTF8.send(opcode: .text, [0x7B, 0xC3, 0x28, 0x7D])
            let closing = try await notUTF8.frames(until: { $0.contains { $0.opcode == .close } })
            #expect(closing.last?.closeCode == 1007)

            let binary = try await RawWebSocket.open(server, key: server.platform.key)
            let piece = [UInt8](repeating: 7, count: 40_000)
            binary.send(opcode: .binary, piece, fin: false)
            binary.send(opcode: .continuation, piece, fin: false)
            let tooLarge = try await binary.frames(until: { $0.contains { $0.opcode == .close } })
            #expect(tooLarge.last?.closeCode == 1009)
        }
    }

    @Test("a client's close frame is echoed with its code, or 1000 for one never sent on the wire, and the socket shut")
    func clientClose() async throws {
        try await TestServer.run { server in
            for (sent, echoed) in [(4001, 4001), (1005, 1000)] {
                let socket = try await RawWebSocket.open(server, key: server.platform.key)
                socket.send(opcode: .close, [UInt8(sent >> 8), UInt8(sent & 0xFF)])
                let frames = try await socket.frames(until: { $0.contains { $0.opcode == .close } })
                #expect(frames.last?.closeCode == echoed)
                #expect(await socket.connection.readBytesUntilClosed(limit: .seconds(5)).closed, "the server shuts the socket")
            }
        }
    }

    @Test("a malformed upgrade is never redirected to itself: answered 400 first, 426 after another request")
    func malformedUpgrade() async throws {
        try await TestServer.run { server in
            let upgrade = "GET /api/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Version: 13\r\nX-API-Key: \(server.platform.key)\r\n\r\n"
            let first = try RawConnection(port: server.port)
            first.send(upgrade)
            let refused = await first.readUntilClosed(limit: .seconds(5))
            #expect(refused.closed)
            #expect(refused.text.hasPrefix("HTTP/1.1 400"), "answered, not dropped: \(refused.text.prefix(200))")
            #expect(!refused.text.contains("307"))
            // On a keep-alive connection the routes answer it: a WebSocket needs its handshake.
            let later = try RawConnection(port: server.port)
            later.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + upgrade)
            let answers = await later.read(limit: .seconds(10), until: { $0.contains("HTTP/1.1 426") })
            #expect(answers.contains("HTTP/1.1 426"), "\(answers.suffix(300))")
            #expect(!answers.contains("307"))
        }
    }

    @Test("a client that does not answer the heartbeat's ping is closed; one that does stays")
    func heartbeat() async throws {
        // Two seconds for a pong: the test process shares two cores with every other suite.
        let configuration = RealtimeConfiguration(heartbeat: .seconds(2), pollInterval: .milliseconds(200))
        try await TestServer.run(realtime: configuration) { server in
            let silent = try await RawWebSocket.open(server, key: server.platform.key)
            silent.send(opcode: .text, Array(#"{"type":"subscribe","id":"s","query":"things.list"}"#.utf8))
            let answering = RealtimeClient.connect(server, key: server.platform.key)
            answering.subscribe("s", "things.list")
            _ = try await answering.next()
            let frames = try await silent.frames(within: .seconds(15), until: { $0.contains { $0.opcode == .close } })
            #expect(frames.contains { $0.opcode == .ping }, "the server pinged first")
            #expect(frames.last?.closeCode == 1001)
            let received = await answering.receive(within: .milliseconds(500))
            #expect(received == nil, "the client that answers pings is still open, not \(String(describing: received))")
        }
    }
}

/// A WebSocket client built on ``RawConnection``: it writes frames exactly as told, masked or
/// not, and reads the server's frames as bytes.
struct RawWebSocket {
    enum Opcode: UInt8 {
        case continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA
    }

    struct Frame {
        let opcode: Opcode
        let payload: [UInt8]
        var text: String { String(decoding: payload, as: UTF8.self) }
        var closeCode: Int? { payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : nil }
    }

    let connection: RawConnection
    private let pending = Pending()

    /// Connects and upgrades `GET /api/realtime`, failing unless the server answers 101.
    static func open(_ server: TestServer, key: String) async throws -> RawWebSocket {
        let connection = try RawConnection(port: server.port)
        connection.send(
            "GET /api/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-API-Key: \(key)\r\n\r\n")
        let socket = RawWebSocket(connection: connection)
        var head: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            head += await connection.readBytesUntilClosed(limit: .milliseconds(200)).bytes
            if let end = head.firstRange(of: Array("\r\n\r\n".utf8)) {
                #expect(String(decoding: head[..<end.lowerBound], as: UTF8.self).hasPrefix("HTTP/1.1 101"))
                socket.pending.bytes = Array(head[end.upperBound...])
                return socket
            }
        }
        throw TestFailure("no upgrade response")
    }

    func send(opcode: Opcode, _ payload: [UInt8], fin: Bool = true, masked: Bool = true) {
        var frame: [UInt8] = [(fin ? 0x80 : 0) | opcode.rawValue]
        let maskBit: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            frame.append(maskBit | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            frame += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(maskBit | 127)
            frame += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        if masked {
            let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
            frame += mask
            frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        } else {
            frame += payload
        }
        connection.send(bytes: frame)
    }

    /// The server's frames read until `done` holds of them, or `within` passes.
    func frames(within limit: Duration = .seconds(10), until done: ([Frame]) -> Bool) async throws -> [Frame] {
        let deadline = ContinuousClock.now + limit
        while true {
            let frames = Self.parse(pending.bytes)
            if done(frames) { return frames }
            guard ContinuousClock.now < deadline else { throw TestFailure("frames so far: \(frames.map(\.opcode))") }
            let (bytes, closed) = await connection.readBytesUntilClosed(limit: .milliseconds(200))
            pending.bytes += bytes
            if closed, bytes.isEmpty, !done(Self.parse(pending.bytes)) { throw TestFailure("closed after \(frames.map(\.opcode))") }
        }
    }

    /// Whole unmasked frames at the start of `bytes`.
    static func parse(_ bytes: [UInt8]) -> [Frame] {
        var frames: [Frame] = []
        var index = 0
        while index + 2 <= bytes.count, let opcode = Opcode(rawValue: bytes[index] & 0x0F) {
            var length = Int(bytes[index + 1] & 0x7F)
            var start = index + 2
            if length == 126 {
                guard start + 2 <= bytes.count else { break }
                length = Int(bytes[start]) << 8 | Int(bytes[start + 1])
                start += 2
            } else if length == 127 {
                guard start + 8 <= bytes.count else { break }
                length = bytes[start..<start + 8].reduce(0) { $0 << 8 | Int($1) }
                start += 8
            }
            guard start + length <= bytes.count else { break }
            frames.append(Frame(opcode: opcode, payload: Array(bytes[start..<start + length])))
            index = start + length
        }
        return frames
    }

    /// Bytes read and not yet parsed into frames the caller has seen.
    private final class Pending: @unchecked Sendable {
        var bytes: [UInt8] = []
    }
}
