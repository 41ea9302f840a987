import Hummingbird
import NIOCore
import OneCore

/// The context every request carries: the core storage Hummingbird needs, who is asking, and
/// where from.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthenticationMiddleware``; every tenant route under `/api` may rely on it.
    public var principal: Principal?
    /// The credential that proved the caller, by its digest.
    public var credential: CredentialDigest?
    /// The session the request presented, when it presented one.
    public var session: SessionCredential?
    /// The peer's IP address.
    public let clientAddress: String?
    let maxBodySize: Int

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.principal = nil
        self.clientAddress = source.channel.remoteAddress?.ipAddress
        self.maxBodySize = AppConfiguration.defaultMaxBodySize
    }

    public var maxUploadSize: Int { maxBodySize }

    /// The principal of an authenticated route. Routes are mounted behind the authentication
    /// middleware, so a missing one is a wiring mistake, answered as 401 rather than trusted.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw OneError(.unauthenticated, "authentication is required: send X-API-Key, or sign in") }
        return principal
    }

    /// The caller's session, for `/api/auth` routes that act on the signed-in account.
    func requireSession() throws -> SessionCredential {
        guard let session else {
            throw OneError(.unauthenticated, "sign in first: send the session as Authorization: Bearer or the session cookie")
        }
        return session
    }
}
