import Hummingbird
import NIOCore
import OneCore

/// `/api/ai`: embeddings, generation (whole or streamed as Server-Sent Events), chat and
/// entity extraction, each charged to the group's `aiTokens` and logged with its usage.
struct AIController {
    let service: OneService

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post("embed", EmbedRequest.self, service: service) { try await service.embedTexts($0, in: $1) }
        routes.post("generate", GenerateRequest.self, service: service) { try await service.generate($0, in: $1) }
        routes.post("stream") { request, context in
            var request = request
            let input = try await request.decodeBody(GenerateRequest.self, context: context)
            return try await stream(input, in: try await context.scope(service, request))
        }
        routes.post("chat", ChatRequest.self, service: service) { try await service.chat($0, in: $1) }
        routes.post("extract", ExtractRequest.self, service: service, status: .created) { try await service.extract($0, in: $1) }
        return routes
    }

    /// The answer as Server-Sent Events: `data: {"delta": "…"}` as it is written, then
    /// `data: {"done": true, "sources", "tokens", "model"}`, or `event: error` if the generator
    /// fails part way. Retrieval and validation happen first, so their errors are plain HTTP ones.
    /// A client that goes away stops the generation; the service charges what was used.
    private func stream(_ input: GenerateRequest, in scope: Scope) async throws -> Response {
        let generation = try await service.streamGeneration(input, in: scope)
        let headers: HTTPFields = [
            .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache", .init("X-Accel-Buffering")!: "no",
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var tokens = 0
            do {
                for try await event in generation.events {
                    switch event {
                    case .delta(let text):
                        tokens += Chunker.estimatedTokens(text)
                        try await writer.write(Self.event(["delta": .string(text)]))
                    case .finished(let usage):
                        tokens = usage.total
                    }
                }
                try await writer.write(Self.event([
                    "done": true, "sources": input.context == true ? .array(generation.sources.map(\.json)) : .null,
                    "tokens": .integer(Int64(tokens)), "model": .string(generation.model),
                ]))
            } catch let error as OneError {
                try? await writer.write(Self.event(ErrorBody(error).json, name: "error"))
            } catch {
                // The client went away (a write failed) or the request was cancelled: stop. The
                // service charges what was used.
            }
            try? await writer.finish(nil)
        })
    }

    private static func event(_ value: JSONValue, name: String? = nil) -> ByteBuffer {
        ByteBuffer(string: (name.map { "event: \($0)\n" } ?? "") + "data: \(value.jsonText())\n\n")
    }
}
