import Foundation
import HTTPTypes
import Hummingbird
import Logging
import HummingbirdTesting
import NIOCore
import OneAuth
import OneCore
import OneSQLite
import OneServer
import Testing

/// A live server for one test: a fresh SQLite file in a temporary directory, the real
/// application on a loopback port, and an initialised platform (its owner key and group).
struct TestServer {
    let api: API
    let store: any Store
    /// The SQLite file's path or the PostgreSQL URL.
    let location: String
    let service: OneService
    let auth: AuthService
    /// The platform owner's key and group, from bootstrap.
    let platform: Credentials
    /// The loopback port the server listens on.
    let port: Int

    /// Realtime settings for tests: a fast poll and a short slow-consumer timeout.
    static let realtime = RealtimeConfiguration(slowConsumerTimeout: .seconds(1), pollInterval: .milliseconds(200))

    /// Runs `body` against a new server on a fresh store of `kind`, then removes the store.
    static func run(
        _ kind: TestStore = .sqlite, ontologyExtensions: [String] = [],
        auth authConfiguration: AuthConfiguration = TestServer.authConfiguration(),
        addressLimit: RateLimit = RateLimit(requests: 100_000, burst: 10_000),
        mailer: (any Mailer)? = nil, clock: OneCore.Clock = .system, realtime: RealtimeConfiguration = TestServer.realtime,
        embedder: any Embedder = LexicalEmbedder(), generator: any TextGenerator = ExtractiveGenerator(), chunker: Chunker = Chunker(),
        chunkIndexes: ChunkIndexes = ChunkIndexes(),
        _ body: @Sendable (TestServer) async throws -> Void
    ) async throws {
        try await kind.withFreshStore { store, location in
            let service = OneService(
                store: store, ontology: try Ontology.load(extensions: ontologyExtensions), clock: clock, embedder: embedder,
                generator: generator, chunker: chunker, chunkIndexes: chunkIndexes)
            let auth = AuthService(one: service, configuration: authConfiguration, mailer: mailer)
            let bootstrap = try await service.bootstrap()
            let app = buildApplication(
                AppConfiguration(
                    host: "127.0.0.1", port: 0, logLevel: .warning, authAddressLimit: addressLimit, realtime: realtime),
                service: service, auth: auth)
            try await app.test(.live) { client in
                let server = TestServer(
                    api: API(client: client), store: store, location: location, service: service, auth: auth,
                    platform: Credentials(key: bootstrap.apiKey, groupId: bootstrap.groupId, personId: bootstrap.personId),
                    port: try #require(client.port))
                try await body(server)
            }
        }
    }

    /// Sign-in settings for tests: bcrypt at its lowest cost, so tests spend no time hashing.
    static func authConfiguration(
        requireEmailVerification: Bool = false, providers: [String: OAuthProvider] = [:], trustedOrigins: [String] = [],
        publicURL: String = "http://127.0.0.1:8080"
    ) -> AuthConfiguration {
        AuthConfiguration(
            publicURL: publicURL, trustedOrigins: trustedOrigins, bcryptCost: 4,
            requireEmailVerification: requireEmailVerification, providers: providers)
    }

    /// Creates a group under `parent` (top level when nil) with its own owner-level key.
    func makeTenant(
        name: String = "Tenant \(UUID().uuidString.prefix(8))", parent: String? = nil, role: Role = .groupOwner,
        settings: JSONValue? = nil
    ) async throws -> Credentials {
        var body: [String: JSONValue] = ["name": .string(name), "type": "business"]
        if let parent { body["parentGroupId"] = .string(parent) }
        if let settings { body["settings"] = settings }
        let group = try await api.post("/api/groups", key: platform.key, body: .object(body)).expect(.created)
        let groupId = try #require(group["_id"]?.stringValue)
        return try await makeKey(in: groupId, role: role)
    }

    /// A key with `role` in `groupId`, minted by the platform owner.
    func makeKey(in groupId: String, role: Role, permissions: [String]? = nil, extra: [String: JSONValue] = [:]) async throws -> Credentials {
        // Generous by default so tests that make hundreds of requests are not throttled.
        var body: [String: JSONValue] = [
            "name": "test key", "role": .string(role.rawValue), "rateLimit": ["requests": 1_000_000, "burst": 100_000],
        ]
        if let permissions { body["permissions"] = .array(permissions.map(JSONValue.string)) }
        body.merge(extra) { $1 }
        let created = try await api.post("/api/keys", key: platform.key, group: groupId, body: .object(body)).expect(.created)
        return Credentials(
            key: try #require(created["key"]?.stringValue), groupId: groupId, personId: created["personId"]?.stringValue,
            keyId: created["_id"]?.stringValue)
    }

    /// Creates a thing and returns its ID.
    @discardableResult
    func makeThing(_ credentials: Credentials, type: String = "course", name: String = "A course", properties: JSONValue = [:]) async throws -> String {
        let thing = try await api.post(
            "/api/things", key: credentials.key, group: credentials.groupId,
            body: ["type": .string(type), "name": .string(name), "properties": properties]
        ).expect(.created)
        return try #require(thing["_id"]?.stringValue)
    }

    /// The newest event sequence in a group: every write appends one, so an unchanged value
    /// after a refused request shows nothing was written there.
    func lastSequence(in groupId: String) async throws -> Int64 {
        try await store.events(EventQuery(groupId: groupId, newestFirst: true), page: PageRequest(limit: 1)).items.first?.sequence ?? 0
    }

    /// Runs `body` (a request expected to fail) and checks it left the group's data as it was.
    func expectUnchanged(_ groupId: String, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let before = try await lastSequence(in: groupId)
        let thingsBefore = try await store.things(ThingQuery(groupId: groupId), page: PageRequest(limit: 100)).items
        try await body()
        #expect(try await lastSequence(in: groupId) == before, "a refused request wrote an event", sourceLocation: sourceLocation)
        let thingsAfter = try await store.things(ThingQuery(groupId: groupId), page: PageRequest(limit: 100)).items
        #expect(thingsAfter == thingsBefore, "a refused request changed things", sourceLocation: sourceLocation)
    }
}

/// An API key and the group it acts in.
struct Credentials: Sendable {
    let key: String
    let groupId: String
    var personId: String? = nil
    var keyId: String? = nil
}
