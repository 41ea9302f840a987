import ArgumentParser
import Foundation
import OneCore

/// `one`: the ONE backend. Thin: each subcommand reads its options, opens the store and calls
/// the same domain operations the HTTP API uses.
@main
struct OneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "one",
        abstract: "ONE: a multi-tenant backend for the 6-dimension ontology, on an embedded SQLite store or PostgreSQL.",
        subcommands: [Serve.self, Init.self, Keys.self, Outbox.self, Models.self],
        defaultSubcommand: nil
    )

    /// Runs the command line. Usage errors print one line and exit 2; failures of the command
    /// itself print their message and exit 1.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as OneError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            if code == .validationFailure {
                FileHandle.standardError.write(Data("error: \(message) (see 'one --help')\n".utf8))
                Foundation.exit(2)
            }
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            Foundation.exit(code.rawValue == 0 ? 1 : code.rawValue)
        }
    }
}

/// Which store a subcommand opens, and the ontology it runs with.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Directory of the embedded SQLite store (created if missing).")
    var dataDirectory: String = "./one-data"

    @Option(
        name: .customLong("database"),
        help: "PostgreSQL URL (postgres://user:password@host:5432/db) instead of the embedded store. Default: $ONE_DATABASE_URL.")
    var databaseURL: String?

    @Option(name: .customLong("ontology"), help: "Extra ontology: a YAML file or a shipped feature (core, blog, portfolio, shop, courses, community, tokens). Repeatable.")
    var ontologies: [String] = []

    var location: StoreLocation {
        StoreLocation(dataDirectory: dataDirectory, databaseURL: databaseURL ?? ProcessInfo.processInfo.environment["ONE_DATABASE_URL"])
    }

    /// Runs `body` with the domain service on the chosen store.
    func withService<T: Sendable>(
        sessionRateLimit: RateLimit = .default, _ body: (OneService) async throws -> T
    ) async throws -> T {
        try await location.withService(ontologies: ontologies, sessionRateLimit: sessionRateLimit, body)
    }
}
