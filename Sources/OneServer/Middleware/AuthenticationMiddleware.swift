import HTTPTypes
import Hummingbird
import OneAuth
import OneCore

/// Proves who is calling, once per request, as one ``Principal`` whether by API key or by
/// session; checks the origin of cookie-authenticated writes; then charges the caller's rate
/// limit and their group's, answering with `X-RateLimit-*` headers. Mounted on the tenant routes.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let service: OneService
    let auth: AuthConfiguration
    let rateLimiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let presented = PresentedCredential(request, cookieName: auth.cookie.name) else {
            throw OneError(.unauthenticated, "authentication is required: send X-API-Key, or sign in and send the session")
        }
        var context = context
        switch presented {
        case .apiKey(let secret):
            context.principal = try await service.authenticate(secret: secret)
        case .session(let token, let fromCookie):
            try OriginCheck.check(request, cookieAuthenticated: fromCookie, requireForAll: false, auth)
            let credential = try await service.authenticateSession(token: token)
            context.session = credential
            context.sessionFromCookie = fromCookie
            context.principal = try await service.principal(for: credential, groupId: request.headers[.groupId])
        }
        let principal = try context.requirePrincipal()
        let outcome = rateLimiter.spend(principal.credentialId, principal.rateLimit)
        if let retryAfter = outcome.retryAfter {
            return outcome.refusal("rate limit of \(principal.rateLimit.requests) requests per minute exceeded; retry in \(retryAfter) s")
        }
        if let perMinute = try await service.requestLimit(ofGroup: principal.groupId) {
            let group = rateLimiter.spend("group:" + principal.groupId, RateLimit(requests: perMinute, burst: perMinute))
            if let retryAfter = group.retryAfter {
                return group.refusal("the group's limit of \(perMinute) requests per minute is spent; retry in \(retryAfter) s")
            }
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as OneError {
            response = error.response
        }
        response.headers.append(contentsOf: outcome.headers)
        return response
    }
}

extension RateLimiter.Outcome {
    /// The 429 answer to a refused request, with the bucket's headers.
    func refusal(_ message: String) -> Response {
        ErrorBody(OneError(.rateLimited, message)).response(status: .tooManyRequests, headers: headers)
    }
}

extension HTTPField.Name {
    static let apiKey = HTTPField.Name("X-API-Key")!
    static let groupId = HTTPField.Name("X-Group-Id")!
}
