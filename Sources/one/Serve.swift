import ArgumentParser
import Foundation
import Hummingbird
import Logging
import OneCore
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
    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard (1...3600).contains(headerTimeout) else { throw ValidationError("--header-timeout must be between 1 and 3600 seconds") }
        guard (1...3600).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be between 1 and 3600 seconds") }
        guard (1...1_000_000).contains(maxConnections) else { throw ValidationError("--max-connections must be between 1 and 1000000") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level '\(logLevel)' is not a log level") }
    }

    func run() async throws {
        try await store.withService { service in try await serve(service) }
    }

    private func serve(_ service: OneService) async throws {
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
            maxConnections: maxConnections)
        try await buildApplication(configuration, service: service).runService()
    }
}
