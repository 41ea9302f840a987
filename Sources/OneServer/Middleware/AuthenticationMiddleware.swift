import HTTPTypes
import Hummingbird
import OneAuth
import OneCore

/// Proves who is calling, once per request, as one ``Principal`` whether by API key or by
/// session; checks the origin of cookie-authenticated writes; then charges the caller's rate
/// limit and their group's, answering with `X-RateLimit-*` headers. Mounted on the tenant routes.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let authenticator: RequestAuthenticator
    let rateLimiter: RateLimiter
    private var service: OneService { authenticator.service }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let caller = try await authenticator.authenticate(request)
        var context = context
        context.principal = caller.principal
        context.credential = caller.credential
        context.session = caller.session
        let principal = try context.requirePrincipal()
        let charge = try await rateLimiter.charge(principal, service: service)
        if let (bucket, message) = charge.refusal { return bucket.refusal(message) }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as OneError {
            response = error.response
        }
        response.headers.append(contentsOf: charge.own.headers)
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
    static let syncSecret = HTTPField.Name("X-Sync-Secret")!
}
