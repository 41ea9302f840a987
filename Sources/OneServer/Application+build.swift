import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
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

    public init(
        host: String = "127.0.0.1", port: Int = 8080, logLevel: Logger.Level = .info,
        headerTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(30), maxConnections: Int = 4096
    ) {
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
public func buildApplication(
    _ configuration: AppConfiguration, service: OneService, services: [any Service] = []
) -> some ApplicationProtocol {
    var logger = Logger(label: "one")
    logger.logLevel = configuration.logLevel
    let connectionLimit = ConnectionLimit(maximum: configuration.maxConnections)
    let headerTimeout = TimeAmount(configuration.headerTimeout)
    return Application(
        router: buildRouter(service: service),
        server: .http1(configuration: .init(
            additionalChannelHandlers: [connectionLimit.handler(), RequestHeadTimeout(timeout: headerTimeout)],
            idleTimeout: .init(configuration.idleTimeout))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "one"),
        services: services,
        logger: logger
    )
}

/// The route table: public probes at the top, then every dimension behind API-key authentication.
public func buildRouter(service: OneService) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: CORSMiddleware(
        allowOrigin: .all, allowHeaders: [.contentType, .apiKey, .groupId],
        allowMethods: [.get, .post, .patch, .delete, .options]))
    router.addRoutes(HealthController(service: service).routes)
    let api = router.group("api")
        .add(middleware: AuthenticationMiddleware(service: service, rateLimiter: RateLimiter()))
    api.addRoutes(GroupController(service: service).routes, atPath: "groups")
    api.addRoutes(PeopleController(service: service).routes, atPath: "people")
    api.addRoutes(ThingController(service: service).routes, atPath: "things")
    api.addRoutes(ConnectionController(service: service).routes, atPath: "connections")
    api.addRoutes(EventController(service: service).routes, atPath: "events")
    api.addRoutes(KnowledgeController(service: service).routes, atPath: "knowledge")
    api.addRoutes(APIKeyController(service: service).routes, atPath: "keys")
    return router
}
