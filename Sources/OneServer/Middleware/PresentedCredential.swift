import HTTPTypes
import Hummingbird
import OneAuth
import OneCore

/// What a request offers as proof of who it is: an API key (`X-API-Key`, or `Authorization:
/// Bearer gsk_…`) or a session token (`Authorization: Bearer sst_…`, or the session cookie).
enum PresentedCredential {
    case apiKey(String)
    case session(String, fromCookie: Bool)

    init?(_ request: Request, cookieName: String) {
        if let key = request.headers[.apiKey] {
            self = .apiKey(key)
            return
        }
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            let token = parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : ""
            self = token.hasPrefix(SessionToken.prefix) ? .session(token, fromCookie: false) : .apiKey(token)
            return
        }
        if let token = request.cookies[cookieName]?.value {
            self = .session(token, fromCookie: true)
            return
        }
        return nil
    }
}

/// Refuses cross-site forgery: a browser attaches the session cookie to requests any page
/// makes, so an unsafe request authenticated by the cookie must carry an `Origin` (or, lacking
/// one, a `Referer`) the server trusts.
enum OriginCheck {
    static func isUnsafe(_ method: HTTPRequest.Method) -> Bool {
        method != .get && method != .head && method != .options
    }

    /// The origin a browser says the request comes from, if any.
    static func origin(of request: Request) -> String? {
        if let origin = request.headers[.origin], origin != "null" { return origin }
        return request.headers[.referer].flatMap(AuthConfiguration.origin(of:))
    }

    /// Throws 403 when a cookie-authenticated unsafe request has no trusted origin, and when any
    /// unsafe request names an origin not trusted (`requireForAll`: the routes that set cookies).
    static func check(_ request: Request, cookieAuthenticated: Bool, requireForAll: Bool, _ configuration: AuthConfiguration) throws {
        guard isUnsafe(request.method) else { return }
        let origin = origin(of: request)
        if let origin {
            if !configuration.trusts(origin: origin), cookieAuthenticated || requireForAll {
                throw OneError.forbidden("requests from \(origin) may not use the session; add it with --cors-origin")
            }
        } else if cookieAuthenticated {
            throw OneError.forbidden("a request authenticated by the session cookie must send an Origin header")
        }
    }
}
