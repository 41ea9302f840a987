import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import OneAuth
import OneCore

/// `GET /api/realtime`: the WebSocket upgrade, before any router. Authenticates the upgrade
/// request exactly as the tenant routes do (API key, session bearer, session cookie from a
/// trusted origin, or a ticket), charges it to the caller's rate limit, then runs a
/// ``RealtimeConnection`` until either side closes.
///
/// A refused caller is still upgraded, then sent an error message and closed with code 1008
/// and the reason: a browser cannot read the status of a refused handshake, but it can read a
/// close frame.
struct RealtimeEndpoint: Sendable {
    static let path = "/api/realtime"
    /// The largest message a client may send.
    static let maxMessageSize = 64 * 1024

    let hub: RealtimeHub
    let authenticator: RequestAuthenticator
    let rateLimiter: RateLimiter

    typealias Handler = WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>

    func shouldUpgrade(_ head: HTTPRequest, channel: any Channel, logger: Logger) async throws -> ShouldUpgradeResult<Handler> {
        let request = Request(head: head, body: .init(buffer: ByteBuffer()))
        guard request.uri.path == Self.path else { return .dontUpgrade }
        do {
            let caller = try await authenticator.authenticate(request)
            if caller.fromCookie { try requireTrustedOrigin(request) }
            if let retryAfter = rateLimiter.admit(keyId: caller.principal.credentialId, limit: caller.principal.rateLimit) {
                throw OneError(.rateLimited, "rate limit of \(caller.principal.rateLimit.requests) requests per minute exceeded", retryAfter: retryAfter)
            }
            let groupId = authenticator.groupId(of: request)
            return .upgrade([:]) { inbound, outbound, context in
                try await run(caller, groupId: groupId, inbound, outbound, channel: channel, logger: context.logger)
            }
        } catch {
            let refusal = error as? OneError ?? OneError(.internal, "internal server error")
            return .upgrade([:]) { _, outbound, _ in
                try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: ServerMessage.error(id: nil, refusal))))
                try await outbound.close(.policyViolation, reason: String(refusal.message.utf8.prefix(120)))
            }
        }
    }

    /// A cookie rides along on any page's WebSocket, so a cookie-authenticated upgrade must come
    /// from a trusted origin (cross-site WebSocket hijacking).
    private func requireTrustedOrigin(_ request: Request) throws {
        guard let origin = OriginCheck.origin(of: request), authenticator.auth.trusts(origin: origin) else {
            throw OneError.forbidden("a WebSocket authenticated by the session cookie must come from a trusted origin; add it with --cors-origin")
        }
    }

    private func run(
        _ caller: RequestAuthenticator.Authenticated, groupId: String?, _ inbound: WebSocketInboundStream,
        _ outbound: WebSocketOutboundWriter, channel: any Channel, logger: Logger
    ) async throws {
        let connection = RealtimeConnection(
            credential: caller.credential, groupId: groupId, hub: hub, rateLimiter: rateLimiter, caller: caller.principal,
            outbound: outbound, channel: channel, logger: logger)
        guard await hub.register(connection) else {
            try await outbound.close(.goingAway, reason: "the server is shutting down")
            return
        }
        do {
            for try await message in inbound.messages(maxSize: Self.maxMessageSize) {
                guard case .text(let text) = message else {
                    connection.refuse(OneError(.invalidJSON, "messages must be JSON text frames"))
                    continue
                }
                await connection.receive(text)
            }
        } catch {
            logger.debug("realtime connection ended", metadata: ["error": "\(error)"])
        }
        await hub.unregister(connection, subscriptions: connection.openSubscriptions)
    }
}
