import Foundation
import OneCore
import OnePostgres
import OneSQLite

/// Where the store lives, shared by every subcommand that opens it: the embedded SQLite file
/// under `--data-dir`, or PostgreSQL when `--database` (or `ONE_DATABASE_URL`) names one.
struct StoreLocation {
    var dataDirectory: String
    var databaseURL: String?

    /// Runs `body` with a ready service on the store; for PostgreSQL the connection pool runs
    /// for exactly as long as `body` does.
    func withService<T: Sendable>(
        ontologies: [String], sessionRateLimit: RateLimit = .default, _ body: (OneService) async throws -> T
    ) async throws -> T {
        try await withNode(ontologies: ontologies, sessionRateLimit: sessionRateLimit) { service, _ in try await body(service) }
    }

    /// ``withService(ontologies:sessionRateLimit:_:)`` for a serving node: on PostgreSQL, with
    /// the change channel that wakes the other nodes' subscriptions (for `body` to run).
    func withNode<T: Sendable>(
        ontologies: [String], sessionRateLimit: RateLimit = .default, embedder: any Embedder = LexicalEmbedder(),
        generator: any TextGenerator = ExtractiveGenerator(), chunkIndexes: ChunkIndexes = ChunkIndexes(),
        _ body: (OneService, PostgresChangeChannel?) async throws -> T
    ) async throws -> T {
        let ontology = try Ontology.load(extensions: ontologies)
        if let databaseURL {
            let store = try PostgresStore(url: databaseURL)
            // Several nodes share this database: keys are read on every request, so a revocation
            // on one node is seen by all at once.
            return try await store.withRunning {
                let service = OneService(
                    store: store, ontology: ontology, keyCacheLifetime: 0, sessionRateLimit: sessionRateLimit, embedder: embedder,
                    generator: generator, chunkIndexes: chunkIndexes)
                return try await body(service, PostgresChangeChannel(store: store))
            }
        }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: (dataDirectory as NSString).appendingPathComponent("one.sqlite"))
        let service = OneService(
            store: store, ontology: ontology, sessionRateLimit: sessionRateLimit, embedder: embedder, generator: generator,
            chunkIndexes: chunkIndexes)
        return try await body(service, nil)
    }

    /// How to describe this store to a person.
    var description: String { databaseURL == nil ? dataDirectory : "the PostgreSQL database" }
}
