import Foundation
import OneCore
import PostgresNIO

extension PostgresStore {
    /// Client settings from a `postgres://user:password@host:port/database` URL (also
    /// `postgresql://`). `?sslmode=require` turns TLS on; without it, TLS is off, which suits
    /// loopback and private networks. `?pool_size=N` caps this node's connections (default 20);
    /// keep nodes × pool size under the server's `max_connections`.
    public static func configuration(url: String) throws -> PostgresClient.Configuration {
        let parts = try URLParts(url)
        let tls: PostgresClient.Configuration.TLS = parts.requiresTLS ? .require(.makeClientConfiguration()) : .disable
        var configuration = PostgresClient.Configuration(
            host: parts.host, port: parts.port, username: parts.user, password: parts.password, database: parts.database, tls: tls)
        configuration.options.maximumConnections = parts.poolSize
        return configuration
    }

    /// Settings for one direct connection to the same server; `nil` with TLS, whose check is
    /// left to the pool.
    static func preflightConfiguration(url: String) throws -> PostgresConnection.Configuration? {
        let parts = try URLParts(url)
        guard !parts.requiresTLS else { return nil }
        var configuration = PostgresConnection.Configuration(
            host: parts.host, port: parts.port, username: parts.user, password: parts.password, database: parts.database,
            tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    /// The pieces of a `postgres://` URL.
    private struct URLParts {
        let host: String
        let port: Int
        let user: String
        let password: String?
        let database: String?
        let requiresTLS: Bool
        let poolSize: Int

        init(_ url: String) throws {
            guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
                let host = components.host, !host.isEmpty, let user = components.user
            else {
                throw OneError.validation("database", "--database must look like postgres://user:password@host:5432/database")
            }
            let database = String(components.path.drop { $0 == "/" })
            self.host = host
            self.port = components.port ?? 5432
            self.user = user.removingPercentEncoding ?? user
            self.password = components.password?.removingPercentEncoding
            self.database = database.isEmpty ? nil : database
            self.requiresTLS = components.queryItems?.first { $0.name == "sslmode" }?.value == "require"
            let poolSize = components.queryItems?.first { $0.name == "pool_size" }?.value
            guard let size = Int(poolSize ?? "20"), (1...1_000).contains(size) else {
                throw OneError.validation("database", "pool_size in the database URL must be a number from 1 to 1000")
            }
            self.poolSize = size
        }
    }
}
