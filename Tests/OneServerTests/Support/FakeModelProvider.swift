import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import OneCore

/// A local server speaking the OpenAI (`/v1/embeddings`, `/v1/chat/completions`, streamed
/// or not, `response_format`) and Anthropic (`/v1/messages`, streamed or not, tool use) wire
/// formats, recording what it was sent, so the providers' production code runs against it.
actor FakeModelProvider {
    struct Received: Sendable {
        let path: String
        let headers: [String: String]
        let body: JSONValue
    }

    static let reply = "Bread rises because yeast makes gas [1]."
    private(set) var received: [Received] = []
    /// How many streamed pieces the slow stream wrote before its client went away.
    private(set) var slowPiecesWritten = 0
    private(set) var slowStreamStopped = false
    /// Words of the slow stream, written 50 ms apart.
    static let slowPieces = 100

    private func record(_ request: Request, _ body: JSONValue) {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        received.append(Received(path: request.uri.path, headers: headers, body: body))
    }

    private func wrote(_ pieces: Int, stopped: Bool) {
        slowPiecesWritten = pieces
        slowStreamStopped = stopped
    }

    var router: Router<BasicRequestContext> {
        let router = Router()
        router.post("v1/embeddings") { request, _ -> Response in
            let body = try await Self.json(request)
            await self.record(request, body)
            let inputs = body["input"]?.arrayValue ?? []
            // Out of order on purpose: clients must place each by its index.
            let data: [JSONValue] = inputs.indices.reversed().map { index in
                ["object": "embedding", "index": .integer(Int64(index)), "embedding": .array((0..<8).map { .number($0 == index % 8 ? 3 : 0) })]
            }
            return FakeOAuthProvider.json(["object": "list", "data": .array(data), "model": body["model"] ?? .null, "usage": ["prompt_tokens": 7, "total_tokens": 7]])
        }
        router.post("v1/chat/completions") { request, _ -> Response in
            let body = try await Self.json(request)
            await self.record(request, body)
            if body["stream"] == true {
                let last = body["messages"]?.arrayValue?.last?["content"]?.stringValue
                // A success that is no event stream, which a client must not wait on forever.
                if last == "nothing" { return Response(status: .noContent) }
                let slow = last == "slow"
                return slow ? self.slowStream() : Self.sse([
                    #"{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
                    #"{"choices":[{"index":0,"delta":{"content":"Bread rises "}}]}"#,
                    #"{"choices":[{"index":0,"delta":{"content":"because yeast makes gas [1]."}}]}"#,
                    #"{"choices":[],"usage":{"prompt_tokens":40,"completion_tokens":9,"total_tokens":49}}"#,
                    "[DONE]",
                ].map { (nil, $0) })
            }
            let content: String = if body["response_format"] != nil {
                #"{"entities":[{"name":"Ada Lovelace","type":"person","description":"A mathematician."},{"name":"London","type":"location","description":"A city."},{"name":"Nobody","type":"planet","description":"Not asked for."}]}"#
            } else {
                Self.reply
            }
            return FakeOAuthProvider.json([
                "id": "chatcmpl-1", "object": "chat.completion", "model": body["model"] ?? .null,
                "choices": [["index": 0, "message": ["role": "assistant", "content": .string(content)], "finish_reason": "stop"]],
                "usage": ["prompt_tokens": 40, "completion_tokens": 9, "total_tokens": 49],
            ])
        }
        router.post("v1/messages") { request, _ -> Response in
            let body = try await Self.json(request)
            await self.record(request, body)
            guard request.headers[.init("x-api-key")!] == "anthropic-key" else {
                return FakeOAuthProvider.json(["type": "error", "error": ["type": "authentication_error", "message": "invalid x-api-key"]], status: .unauthorized)
            }
            if body["stream"] == true {
                return Self.sse([
                    ("message_start", #"{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":30,"output_tokens":1}}}"#),
                    ("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
                    ("ping", #"{"type":"ping"}"#),
                    ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Bread rises "}}"#),
                    ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"because yeast makes gas [1]."}}"#),
                    ("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
                    ("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":11}}"#),
                    ("message_stop", #"{"type":"message_stop"}"#),
                ])
            }
            let content: JSONValue = if body["tools"] != nil {
                [["type": "tool_use", "id": "toolu_1", "name": "entities", "input": ["entities": [["name": "Grace Hopper", "type": "person", "description": "An admiral."]]]]]
            } else {
                [["type": "text", "text": .string(Self.reply)]]
            }
            return FakeOAuthProvider.json([
                "id": "msg_1", "type": "message", "role": "assistant", "model": body["model"] ?? .null, "content": content,
                "usage": ["input_tokens": 30, "output_tokens": 11],
            ])
        }
        return router
    }

    /// Words every 50 ms, recording how far it got before the client went away.
    private nonisolated func slowStream() -> Response {
        Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
            var written = 0
            do {
                for piece in 0..<Self.slowPieces {
                    try await writer.write(ByteBuffer(string: "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"w\(piece) \"}}]}\n\n"))
                    written += 1
                    await self.wrote(written, stopped: false)
                    try await Task.sleep(for: .milliseconds(50))
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
                await self.wrote(written, stopped: false)
            } catch {
                await self.wrote(written, stopped: true)
            }
        })
    }

    static func json(_ request: Request) async throws -> JSONValue {
        try JSONValue(storedText: String(buffer: try await request.body.collect(upTo: 1 << 20)))
    }

    static func sse(_ events: [(String?, String)]) -> Response {
        let text = events.map { name, data in (name.map { "event: \($0)\n" } ?? "") + "data: \(data)\n\n" }.joined()
        return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Runs `body` with the provider listening on loopback; `body` gets its base URL.
    func run(_ body: @Sendable (String) async throws -> Void) async throws {
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(client.port ?? 0)")
        }
    }
}
