import Foundation
import Logging
import OneCore
import OnePostgres
import OneSQLite
import PostgresNIO
import Testing

/// The store adapters every end-to-end and conformance test runs against. PostgreSQL joins when
/// `ONE_TEST_DATABASE_URL` names a server (a URL whose user may create databases); each test
/// then gets a database of its own.
enum TestStore: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static let postgresAdminURL = ProcessInfo.processInfo.environment["ONE_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// SQLite always; PostgreSQL when configured.
    static var available: [TestStore] { postgresAdminURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }

    /// Runs `body` with a fresh, empty, migrated store of this kind, then removes it.
    func withFreshStore<T: Sendable>(_ body: (any Store, _ location: String) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("one-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = try SQLiteStore(path: directory.appendingPathComponent("one.sqlite").path)
            return try await body(store, directory.path)
        case .postgres:
            return try await PostgresTestDatabase.withFreshDatabase { url in
                let store = try PostgresStore(url: url)
                return try await store.withRunning { try await body(store, url) }
            }
        }
    }
}

/// Creates and drops throwaway databases on the test PostgreSQL server.
enum PostgresTestDatabase {
    static func withFreshDatabase<T: Sendable>(_ body: (_ url: String) async throws -> T) async throws -> T {
        let adminURL = try #require(TestStore.postgresAdminURL, "ONE_TEST_DATABASE_URL is not set")
        let name = "one_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try await admin(adminURL, "CREATE DATABASE \(name)")
        var components = try #require(URLComponents(string: adminURL))
        components.path = "/" + name
        // Many tests run at once, each with a pool of its own: keep each small.
        components.queryItems = (components.queryItems ?? []).filter { $0.name != "pool_size" } + [URLQueryItem(name: "pool_size", value: "6")]
        let url = try #require(components.string)
        do {
            let result = try await body(url)
            try await admin(adminURL, "DROP DATABASE \(name) WITH (FORCE)")
            return result
        } catch {
            try? await admin(adminURL, "DROP DATABASE \(name) WITH (FORCE)")
            throw error
        }
    }

    /// Runs one statement on the admin connection (database names cannot be bound parameters).
    private static func admin(_ url: String, _ statement: String) async throws {
        var logger = Logger(label: "one.test.admin")
        logger.logLevel = .error
        let client = PostgresClient(configuration: try PostgresStore.configuration(url: url), backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            group.cancelAll()
        }
    }
}
