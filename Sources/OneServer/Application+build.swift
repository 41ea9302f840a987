import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import OneAuth
import OneCore

/// How the server is run: where it listens and what it accepts.
public struct AppConfiguration: Sendable {
    /// 1 MiB: the largest request body accepted; larger ones get 413.
    public static let defaultMaxBodySize = 1 << 20

    public var host: String
    public var port: Int
    public var logLevel: Logger.Level
    /// How long a new connection may take to send its first request head in full.
    public var headerTimeout: Duration
    /// How long a connection may go without progress before it is closed: a request head not
    /// complete, a body not arriving, or a keep-alive connection unused. Closes slow and
    /// stalled clients, which would otherwise hold a connection forever.
    public var idleTimeout: Duration
    /// The most connections open at once; a connection past it is answered 503 and closed.
    public var maxConnections: Int
    /// Unsafe requests to `/api/auth` one client address may make (sign-in, sign-up, mail).
    public var authAddressLimit: RateLimit
    /// WebSocket subscriptions and event streams.
    public var realtime: RealtimeConfiguration

    public static let defaultAuthAddressLimit = RateLimit(requests: 60, burst: 20)

    public init(
        host: String = "127.0.0.1", port: Int = 8080, logLevel: Logger.Level = .info,
        headerTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(30), maxConnections: Int = 4096,
        authAddressLimit: RateLimit = Self.defaultAuthAddressLimit, realtime: RealtimeConfiguration = .init()
    ) {
        self.authAddressLimit = authAddressLimit
        self.realtime = realtime
        self.host = host
        self.port = port
        self.logLevel = logLevel
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }
}

/// Builds the whole HTTP application around a ready ``OneService``. Used by `one serve` and by
/// the tests, so both run exactly the same server.
///
/// - Parameters:
///   - services: run beside the server and stopped after it (the PostgreSQL pool, its change channel).
///   - announcer: carries commit wake-ups between nodes sharing one database; `nil` for one node.
public func buildApplication(
    _ configuration: AppConfiguration, service: OneService, auth: AuthService, services: [any Service] = [],
    announcer: (any ChangeAnnouncer)? = nil
) -> some ApplicationProtocol {
    var logger = Logger(label: "one")
    logger.logLevel = configuration.logLevel
    let hub = RealtimeHub(service: service, configuration: configuration.realtime, announcer: announcer, logger: logger)
    let tickets = RealtimeTickets(lifetime: configuration.realtime.ticketLifetime)
    let authenticator = RequestAuthenticator(service: service, auth: auth.configuration, tickets: tickets)
    let rateLimiter = RateLimiter()
    let endpoint = RealtimeEndpoint(hub: hub, authenticator: authenticator, rateLimiter: rateLimiter)
    let connectionGuard = ConnectionGuard(
        maximum: configuration.maxConnections, headTimeout: TimeAmount(configuration.headerTimeout))
    let http1 = HTTP1Channel.Configuration(idleTimeout: .init(configuration.idleTimeout))
    let server = HTTPServerBuilder { responder in
        GuardedChannel(base: RealtimeChannel(responder: responder, http1: http1, endpoint: endpoint), connectionGuard: connectionGuard)
    }
    let router = buildRouter(
        service: service, auth: auth, addressLimit: configuration.authAddressLimit,
        realtime: RealtimeController(hub: hub, tickets: tickets, authenticator: authenticator), rateLimiter: rateLimiter)
    return Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "one"),
        services: services + [hub],
        logger: logger
    )
}

/// The route table: public probes at the top, sign-in under `/api/auth`, then every dimension
/// behind authentication by API key or session.
func buildRouter(
    service: OneService, auth: AuthService, addressLimit: RateLimit, realtime: RealtimeController,
    rateLimiter: RateLimiter
) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: BrowserMiddleware(auth: auth.configuration))
    router.addRoutes(HealthController(service: service).routes)
    router.group("api/auth")
        .add(middleware: AuthRoutesMiddleware(
            service: service, auth: auth.configuration, addressLimit: addressLimit, rateLimiter: rateLimiter))
        .addRoutes(AuthController(auth: auth).routes)
    let api = router.group("api")
        .add(middleware: AuthenticationMiddleware(authenticator: realtime.authenticator, rateLimiter: rateLimiter))
    api.addRoutes(HealthController(service: service).callerRoutes)
    addOntologyRoutes(to: api, service: service, auth: auth)
    api.addRoutes(APIKeyController(service: service).routes, atPath: "keys")
    api.addRoutes(SyncController(service: service).routes, atPath: "sync")
    api.addRoutes(BatchController(service: service, operations: batchRouter(service: service, auth: auth)).routes, atPath: "batch")
    api.addRoutes(AIController(service: service).routes, atPath: "ai")
    api.addRoutes(realtime.routes)
    return router
}

/// The routes of the six dimensions (and the graph over them), mounted under `api`.
private func addOntologyRoutes(to api: RouterGroup<AppRequestContext>, service: OneService, auth: AuthService) {
    api.addRoutes(GroupController(service: service).routes, atPath: "groups")
    api.addRoutes(PeopleController(service: service, auth: auth).routes, atPath: "people")
    api.addRoutes(ThingController(service: service).routes, atPath: "things")
    api.addRoutes(ConnectionController(service: service).routes, atPath: "connections")
    api.addRoutes(GraphController(service: service).routes, atPath: "graph")
    api.addRoutes(EventController(service: service).routes, atPath: "events")
    api.addRoutes(KnowledgeController(service: service).routes, atPath: "knowledge")
}

/// The ontology routes alone, as ``BatchController`` runs its operations: the batch request
/// has already been authenticated and charged, and errors become answers, not exceptions.
private func batchRouter(service: OneService, auth: AuthService) -> RouterResponder<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    addOntologyRoutes(to: router.group("api"), service: service, auth: auth)
    return router.buildResponder()
}
