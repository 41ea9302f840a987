import HTTPTypes
import Hummingbird
import OneCore

/// Proves who is calling from `X-API-Key`, then charges the key's rate limit. Mounted on `/api`.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let service: OneService
    let rateLimiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let secret = request.headers[.apiKey] else {
            throw OneError(.unauthenticated, "X-API-Key header is required")
        }
        let principal = try await service.authenticate(secret: secret)
        if let retryAfter = rateLimiter.admit(keyId: principal.credentialId, limit: principal.rateLimit) {
            let error = OneError(.rateLimited, "rate limit of \(principal.rateLimit.requests) requests per minute exceeded; retry in \(retryAfter) s")
            return ErrorBody(error).response(status: .tooManyRequests, headers: [.retryAfter: String(retryAfter)])
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let apiKey = HTTPField.Name("X-API-Key")!
    static let groupId = HTTPField.Name("X-Group-Id")!
}
