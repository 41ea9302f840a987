import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OneAuth
import OneCore

/// `GET /api/realtime`: who may open a realtime WebSocket. Authenticates the upgrade request
/// exactly as the tenant routes do (API key, session bearer, session cookie from a trusted
/// origin, or a ticket) and charges it to the caller's rate limit and its group's.
///
/// A refused caller is still upgraded, then sent an error message and closed with code 1008
/// and the reason: a browser cannot read the status of a refused handshake, but it can read a
/// close frame.
struct RealtimeEndpoint: Sendable {
    static let path = "/api/realtime"
    /// The largest message a client may send, in one frame or several.
    static let maxMessageSize = 64 * 1024

    /// What an upgrade request to ``path`` is granted.
    enum Admission: Sendable {
        case accepted(RequestAuthenticator.Authenticated, groupId: String?)
        case refused(OneError)
    }

    let hub: RealtimeHub
    let authenticator: RequestAuthenticator
    let rateLimiter: RateLimiter

    /// The admission of an upgrade request, or `nil` when it is not for the realtime endpoint.
    func admit(_ head: HTTPRequest) async -> Admission? {
        let request = Request(head: head, body: .init(buffer: ByteBuffer()))
        guard request.uri.path == Self.path else { return nil }
        do {
            let caller = try await authenticator.authenticate(request)
            if caller.fromCookie { try requireTrustedOrigin(request) }
            if let refused = try await rateLimiter.charge(caller.principal, service: authenticator.service).error { throw refused }
            return .accepted(caller, groupId: authenticator.groupId(of: request))
        } catch {
            return .refused(error as? OneError ?? OneError(.internal, "internal server error"))
        }
    }

    /// The connection an admitted caller is served by, once its socket is upgraded.
    func connection(
        for caller: RequestAuthenticator.Authenticated, groupId: String?, channel: any Channel, writer: RawFrameWriter, logger: Logger
    ) -> RealtimeConnection {
        RealtimeConnection(
            credential: caller.credential, groupId: groupId, hub: hub, rateLimiter: rateLimiter, caller: caller.principal,
            channel: channel, writer: writer, logger: logger)
    }

    /// A cookie rides along on any page's WebSocket, so a cookie-authenticated upgrade must come
    /// from a trusted origin (cross-site WebSocket hijacking).
    private func requireTrustedOrigin(_ request: Request) throws {
        guard let origin = OriginCheck.origin(of: request), authenticator.auth.trusts(origin: origin) else {
            throw OneError.forbidden("a WebSocket authenticated by the session cookie must come from a trusted origin; add it with --cors-origin")
        }
    }
}
