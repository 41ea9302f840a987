import Hummingbird
import OneAuth
import OneCore

/// Proves who a request is from, by API key, session or realtime ticket: the one path the
/// tenant routes and the realtime upgrade both take, so they accept exactly the same callers.
struct RequestAuthenticator: Sendable {
    /// The routes a browser opens without headers (WebSocket, EventSource), which accept a
    /// ticket and a `groupId` in the query string.
    static let streamPaths: Set<String> = ["/api/realtime", "/api/events/stream"]

    let service: OneService
    let auth: AuthConfiguration
    let tickets: RealtimeTickets

    struct Authenticated {
        var principal: Principal
        /// The credential by its digest, to prove the caller again later or to issue a ticket.
        var credential: CredentialDigest
        var session: SessionCredential?
        var fromCookie: Bool
    }

    /// The group a request addresses: `X-Group-Id`, or on stream routes `?groupId=`.
    func groupId(of request: Request) -> String? {
        if let header = request.headers[.groupId] { return header }
        guard Self.streamPaths.contains(request.uri.path) else { return nil }
        return request.uri.queryParameters["groupId"].map(String.init)
    }

    /// The caller, acting in the group the request addresses; 401 when nothing valid is presented.
    /// A group's sync secret (`X-Sync-Secret`) is accepted on the sync routes alone.
    func authenticate(_ request: Request) async throws -> Authenticated {
        let groupId = groupId(of: request)
        if let presented = PresentedCredential(request, cookieName: auth.cookie.name) {
            switch presented {
            case .apiKey(let secret):
                let credential = try service.digest(ofKey: secret)
                return Authenticated(
                    principal: try await service.principal(for: credential, groupId: groupId), credential: credential,
                    session: nil, fromCookie: false)
            case .session(let token, let fromCookie):
                try OriginCheck.check(request, cookieAuthenticated: fromCookie, requireForAll: false, auth)
                let hash = try OneService.sessionHash(token)
                let session = try await service.authenticateSession(hash: hash)
                return Authenticated(
                    principal: try await service.principal(for: session, groupId: groupId),
                    credential: .session(hash: hash), session: session, fromCookie: fromCookie)
            }
        }
        if let secret = request.headers[.syncSecret], request.uri.path.hasPrefix("/api/sync/") {
            let credential = try service.digest(ofSyncSecret: secret)
            return Authenticated(
                principal: try await service.principal(for: credential, groupId: groupId), credential: credential,
                session: nil, fromCookie: false)
        }
        if request.method == .get, Self.streamPaths.contains(request.uri.path),
            let ticket = request.uri.queryParameters["ticket"]
        {
            guard let credential = tickets.redeem(String(ticket)) else {
                throw OneError(.unauthenticated, "the ticket is not valid: a ticket is used once, within seconds of being issued")
            }
            return Authenticated(
                principal: try await service.principal(for: credential, groupId: groupId), credential: credential,
                session: nil, fromCookie: false)
        }
        throw OneError(.unauthenticated, "authentication is required: send X-API-Key, or sign in and send the session")
    }
}
