import HTTPTypes
import Hummingbird
import OneCore

extension RouteCollection where Context == AppRequestContext {
    /// `POST path`: decodes the body as `Body` (unknown fields refused), resolves the caller's
    /// scope, and answers what `handle` returns as JSON with `status`.
    func post<Body: RequestBody & Sendable, Answer: JSONRepresentable>(
        _ path: RouterPath, _ body: Body.Type, service: OneService, status: HTTPResponse.Status = .ok,
        _ handle: @escaping @Sendable (Body, Scope) async throws -> Answer
    ) {
        post(path) { request, context in
            var request = request
            let input = try await request.decodeBody(Body.self, context: context)
            return JSON(try await handle(input, try await context.scope(service, request)), status: status)
        }
    }
}
