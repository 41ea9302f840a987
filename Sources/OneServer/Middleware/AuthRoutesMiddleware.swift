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
            // A stale cookie must not block signing in again, so an unusable one is ignored here;
            // a store that cannot answer is not, so it is not taken for "signed out".
            do {
                context.session = try await service.authenticateSession(token: token)
            } catch let error as OneError where error.code == .unauthenticated {}
        }
        try OriginCheck.check(request, cookieAuthenticated: fromCookie, requireForAll: true, auth)
        // Charged: every request that writes, the OAuth GETs included (start stores a state).
        guard OriginCheck.isUnsafe(request.method) || request.uri.path.hasPrefix("/api/auth/oauth/") else {
            return try await next(request, context)
        }
        let outcome = rateLimiter.spend("address:" + (context.clientAddress ?? "unknown"), addressLimit)
        if let retryAfter = outcome.retryAfter {
            return outcome.refusal("too many requests from this address; retry in \(retryAfter) s")
        }
        return try await next(request, context)
    }
}
