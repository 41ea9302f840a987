import Hummingbird
import NIOCore
import OneCore

/// `/api/ai`: embeddings, generation (whole or streamed as Server-Sent Events), chat and
/// entity extraction, each charged to the group's `aiTokens` and logged with its usage.
struct AIController {
    let service: OneService

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post("embed") { request, context in
            var request = request
            let input = try await request.decodeBody(EmbedRequest.self, context: context)
            return JSON(try await service.embedTexts(input, in: try await context.scope(service, request)))
        }
        routes.post("generate") { request, context in
            var request = request
            let input = try await request.decodeBody(GenerateRequest.self, context: context)
            return JSON(try await service.generate(input, in: try await context.scope(service, request)))
        }
        routes.post("stream") { request, context in
            var request = request
            let input = try await request.decodeBody(GenerateRequest.self, context: context)
            let scope = try await context.scope(service, request)
            return try await stream(input, in: scope)
        }
        routes.post("chat") { request, context in
            var request = request
            let input = try await request.decodeBody(ChatRequest.self, context: context)
            return JSON(try await service.chat(input, in: try await context.scope(service, request)))
        }
        routes.post("extract") { request, context in
            var request = request
            let input = try await request.decodeBody(ExtractRequest.self, context: context)
            return JSON(try await service.extract(input, in: try await context.scope(service, request)), status: .created)
        }
        return routes
    }

    /// The answer as Server-Sent Events: `data: {"delta": "…"}` as it is written, then
    /// `data: {"done": true, "sources", "tokens", "model"}`, or `event: error` if the generator
    /// fails part way. Retrieval and validation happen first, so their errors are plain HTTP ones.
    /// A client that goes away stops the generation; what was used until then is charged.
    private func stream(_ input: GenerateRequest, in scope: Scope) async throws -> Response {
        let generation = try await service.streamGeneration(input, in: scope)
        let headers: HTTPFields = [
            .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache", .init("X-Accel-Buffering")!: "no",
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody { [service] writer in
            var usage: TokenUsage?
            var written = 0
            do {
                for try await event in generation.events {
                    switch event {
                    case .delta(let text):
                        written += Chunker.estimatedTokens(text)
                        try await writer.write(Self.event(["delta": .string(text)]))
                    case .finished(let final):
                        usage = final
                    }
                }
                try await writer.write(Self.event([
                    "done": true, "sources": input.context == true ? .array(generation.sources.map(\.json)) : .null,
                    "tokens": .integer(Int64(usage?.total ?? written)), "model": .string(generation.model),
                ]))
            } catch let error as OneError {
                try? await writer.write(Self.event(ErrorBody(error).json, name: "error"))
            } catch {
                // The client went away (a write failed) or the request was cancelled: stop.
            }
            try? await service.recordStreamedUse(usage ?? TokenUsage(prompt: 0, completion: written), of: generation, in: scope)
            try? await writer.finish(nil)
        })
    }

    private static func event(_ value: JSONValue, name: String? = nil) -> ByteBuffer {
        ByteBuffer(string: (name.map { "event: \($0)\n" } ?? "") + "data: \(value.jsonText())\n\n")
    }
}
