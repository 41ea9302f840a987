import HTTPTypes
import Hummingbird
import OneAuth
import OneCore

/// In front of `/api/auth`: reads the session when one is presented (the routes that need it
/// say so), refuses cross-site writes, and holds each client address to `addressLimit`
/// unsafe requests, so no one address can hammer sign-in, sign-up or the mail routes.
struct AuthRoutesMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let service: OneService
    let auth: AuthConfiguration
    let addressLimit: RateLimit
    let rateLimiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        var fromCookie = false
        if case .session(let token, let cookie)? = PresentedCredential(request, cookieName: auth.cookie.name) {
            fromCookie = cookie
            // A stale cookie must not block signing in again, so an unusable one is ignored here.
            context.session = try? await service.authenticateSession(token: token)
            context.sessionFromCookie = cookie
        }
        try OriginCheck.check(request, cookieAuthenticated: fromCookie, requireForAll: true, auth)
        guard OriginCheck.isUnsafe(request.method) else { return try await next(request, context) }
        let outcome = rateLimiter.spend("address:" + (context.clientAddress ?? "unknown"), addressLimit)
        if let retryAfter = outcome.retryAfter {
            return outcome.refusal("too many requests from this address; retry in \(retryAfter) s")
        }
        return try await next(request, context)
    }
}
