import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import OneAuth
import OneCore
import OnePostgres
import OneProviders
import OneServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP API. On an empty store, first create the platform group and print its owner key once."
    )

    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on.") var port: Int = 8080
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"
    @Option(name: .customLong("header-timeout"), help: "Seconds a new connection may take to send its first request head.")
    var headerTimeout: Int = 10
    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may make no progress (an unfinished request, an unused keep-alive) before it is closed.")
    var idleTimeout: Int = 30
    @Option(name: .customLong("max-connections"), help: "The most connections open at once; more wait to be accepted.")
    var maxConnections: Int = 4096
    @Option(name: .customLong("public-url"), help: "The URL people reach the server at: links in mail start with it, and https turns on Secure cookies and HSTS. Default: http://HOST:PORT.")
    var publicURL: String?
    @Option(name: .customLong("cors-origin"), help: "An origin (https://app.example.com) whose pages may call the API with credentials; repeatable.")
    var corsOrigins: [String] = []
    @Option(name: .customLong("cookie-samesite"), help: "SameSite of the session cookie: Strict, Lax or None.")
    var cookieSameSite: String = "Lax"
    @Flag(name: .customLong("cookie-secure"), inversion: .prefixedNo, help: "Mark the session cookie Secure (default: when --public-url is https).")
    var cookieSecure: Bool?
    @Flag(name: .customLong("require-email-verification"), help: "Refuse sign-in until the email is verified.")
    var requireEmailVerification = false
    @Flag(name: .customLong("no-magic-link-signup"), help: "Magic links sign in existing accounts only.")
    var noMagicLinkSignup = false
    @Option(name: .customLong("bcrypt-cost"), help: "bcrypt work factor for passwords, 10 to 16.")
    var bcryptCost: Int = 12
    @Option(name: .customLong("session-rate-limit"), help: "Requests per minute each signed-in session may make (bursts of a tenth).")
    var sessionRateLimit: Int = 1000
    @Option(name: .customLong("auth-rate-limit"), help: "Writes per minute each client address may make to /api/auth (bursts of a third).")
    var authRateLimit: Int = 60
    @Option(name: .customLong("realtime-heartbeat"), help: "Seconds between pings on each WebSocket; a peer that misses one is closed.")
    var realtimeHeartbeat: Int = 30
    @Option(name: .customLong("realtime-max-subscriptions"), help: "The most subscriptions one WebSocket may hold.")
    var realtimeMaxSubscriptions: Int = 100
    @Option(name: .customLong("realtime-slow-consumer-timeout"), help: "Seconds a result may wait on a client that is not reading before its WebSocket is closed.")
    var realtimeSlowConsumerTimeout: Int = 10
    @Option(name: .customLong("realtime-idle-timeout"), help: "Seconds a WebSocket may stay open without a subscription.")
    var realtimeIdleTimeout: Int = 300
    @Option(name: .customLong("realtime-burst-pause"), help: "Microseconds per subscriber a query waits before running again while changes keep coming (0 pushes every change).")
    var realtimeBurstPause: Int = 200
    @OptionGroup var store: StoreOptions
    @OptionGroup var ai: AIOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard (1...3600).contains(headerTimeout) else { throw ValidationError("--header-timeout must be between 1 and 3600 seconds") }
        guard (1...3600).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be between 1 and 3600 seconds") }
        guard (1...1_000_000).contains(maxConnections) else { throw ValidationError("--max-connections must be between 1 and 1000000") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level '\(logLevel)' is not a log level") }
        guard sessionRateLimit >= 1, authRateLimit >= 1 else {
            throw ValidationError("--session-rate-limit and --auth-rate-limit must be at least 1")
        }
        guard (1...3600).contains(realtimeHeartbeat), (1...3600).contains(realtimeSlowConsumerTimeout),
            (1...86400).contains(realtimeIdleTimeout)
        else {
            throw ValidationError("--realtime-heartbeat and --realtime-slow-consumer-timeout must be 1 to 3600 seconds, --realtime-idle-timeout 1 to 86400")
        }
        guard (0...10_000).contains(realtimeBurstPause) else {
            throw ValidationError("--realtime-burst-pause must be 0 to 10000 microseconds")
        }
        guard (1...10_000).contains(realtimeMaxSubscriptions) else {
            throw ValidationError("--realtime-max-subscriptions must be between 1 and 10000")
        }
        guard (10...16).contains(bcryptCost) else { throw ValidationError("--bcrypt-cost must be between 10 and 16") }
        guard SessionCookie.SameSite.allCases.contains(where: { $0.rawValue.lowercased() == cookieSameSite.lowercased() }) else {
            throw ValidationError("--cookie-samesite must be Strict, Lax or None")
        }
        for origin in corsOrigins + (publicURL.map { [$0] } ?? []) where AuthConfiguration.origin(of: origin) == nil {
            throw ValidationError("'\(origin)' is not an http(s) URL")
        }
    }

    /// Sign-in settings from the flags and the environment (OAuth providers, mail API).
    func authConfiguration(_ environment: [String: String]) -> AuthConfiguration {
        AuthConfiguration(
            publicURL: publicURL ?? "http://\(host):\(port)",
            trustedOrigins: corsOrigins.compactMap(AuthConfiguration.origin(of:)), bcryptCost: UInt8(bcryptCost),
            requireEmailVerification: requireEmailVerification, magicLinkSignup: !noMagicLinkSignup,
            cookie: SessionCookie(
                secure: cookieSecure,
                sameSite: SessionCookie.SameSite.allCases.first { $0.rawValue.lowercased() == cookieSameSite.lowercased() } ?? .lax),
            providers: OAuthProvider.fromEnvironment(environment),
            mailFrom: environment["ONE_MAIL_FROM"] ?? "ONE <no-reply@localhost>")
    }

    func run() async throws {
        let sessionLimit = RateLimit(requests: sessionRateLimit, burst: max(1, sessionRateLimit / 10))
        let providers = ProviderClient.make()
        do {
            let (embedder, generator) = try ai.components(ProcessInfo.processInfo.environment, client: providers)
            try await store.location.withNode(
                ontologies: store.ontologies, sessionRateLimit: sessionLimit, embedder: embedder, generator: generator,
                chunkIndexes: ChunkIndexes(memoryBudget: ai.vectorMemory << 20)
            ) { service, channel in
                try await serve(service, channel: channel)
            }
        } catch {
            try? await providers.shutdown()
            throw error
        }
        try await providers.shutdown()
    }

    private func serve(_ service: OneService, channel: PostgresChangeChannel?) async throws {
        do {
            let result = try await service.bootstrap()
            // Written straight to the descriptor, so it shows at once even when standard output
            // is a pipe or a file.
            FileHandle.standardOutput.write(Data(
                """
                ================================================================
                 ONE initialised a new store in \(store.location.description)
                 Platform owner API key (shown once, never again; keep it safe):

                   \(result.apiKey)

                 group: \(result.groupId)   person: \(result.personId)
                ================================================================

                """.utf8))
        } catch let error as OneError where error.code == .alreadyInitialized {}
        let configuration = AppConfiguration(
            host: host, port: port, logLevel: Logger.Level(rawValue: logLevel) ?? .info, headerTimeout: .seconds(headerTimeout),
            idleTimeout: .seconds(idleTimeout),
            maxConnections: maxConnections,
            authAddressLimit: RateLimit(requests: authRateLimit, burst: max(1, authRateLimit / 3)),
            realtime: RealtimeConfiguration(
                heartbeat: .seconds(realtimeHeartbeat), idleTimeout: .seconds(realtimeIdleTimeout),
                maxSubscriptions: realtimeMaxSubscriptions, slowConsumerTimeout: .seconds(realtimeSlowConsumerTimeout),
                burstPausePerSubscriber: .microseconds(realtimeBurstPause)))
        let environment = ProcessInfo.processInfo.environment
        let authConfiguration = authConfiguration(environment)
        var mailer: (any Mailer)?
        if let url = environment["ONE_MAIL_API_URL"], let key = environment["ONE_MAIL_API_KEY"] {
            mailer = HTTPMailer(url: url, apiKey: key, from: authConfiguration.mailFrom)
        }
        let auth = AuthService(one: service, configuration: authConfiguration, mailer: mailer)
        let app = buildApplication(
            configuration, service: service, auth: auth, services: channel.map { [$0] } ?? [], announcer: channel)
        try await app.runService()
    }
}
