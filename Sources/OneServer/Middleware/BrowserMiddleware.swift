import HTTPTypes
import Hummingbird
import OneAuth

/// What browsers need: security headers on every response (no MIME sniffing, no framing, no
/// referrer, HSTS over https), and CORS that lets only the configured origins call with
/// credentials. Other origins get no CORS headers, so their pages cannot read answers.
struct BrowserMiddleware<Context: RequestContext>: RouterMiddleware {
    let auth: AuthConfiguration

    static var allowedHeaders: String { "Content-Type, Authorization, X-API-Key, X-Group-Id" }
    static var allowedMethods: String { "GET, POST, PUT, PATCH, DELETE, OPTIONS" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let origin = request.headers[.origin]
        let allowed = origin.map(auth.trusts(origin:)) ?? false
        var response: Response
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            response = Response(status: allowed ? .noContent : .forbidden)
            if allowed {
                response.headers[.accessControlAllowMethods] = Self.allowedMethods
                response.headers[.accessControlAllowHeaders] = Self.allowedHeaders
                response.headers[.accessControlMaxAge] = "600"
            }
        } else {
            response = try await next(request, context)
        }
        if allowed, let origin {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlAllowCredentials] = "true"
            response.headers[.accessControlExposeHeaders] = "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
        }
        if origin != nil { response.headers[.vary] = "Origin" }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.contentSecurityPolicy] = "frame-ancestors 'none'"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.referrerPolicy] = "no-referrer"
        if auth.isHTTPS { response.headers[.strictTransportSecurity] = "max-age=31536000; includeSubDomains" }
        return response
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
