import Hummingbird
import OneCore

/// The context every request carries: the core storage Hummingbird needs, and the principal
/// the authentication middleware proved.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthenticationMiddleware``; every route under `/api` may rely on it.
    public var principal: Principal?
    let maxBodySize: Int

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.principal = nil
        self.maxBodySize = AppConfiguration.defaultMaxBodySize
    }

    public var maxUploadSize: Int { maxBodySize }

    /// The principal of an authenticated route. Routes are mounted behind the authentication
    /// middleware, so a missing one is a wiring mistake, answered as 401 rather than trusted.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw OneError(.unauthenticated, "X-API-Key header is required") }
        return principal
    }
}
