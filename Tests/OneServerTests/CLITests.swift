import HTTPTypes
import Foundation
import OneCore
import Testing

@Suite("one command line")
struct CLITests {
    /// The flags that point `one` at a fresh store of `kind`.
    static func withStoreArguments(_ kind: TestStore, _ body: ([String]) async throws -> Void) async throws {
        switch kind {
        case .sqlite:
            let directory = try OneProcess.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try await body(["--data-dir", directory])
        case .postgres:
            try await PostgresTestDatabase.withFreshDatabase { url in try await body(["--database", url]) }
        }
    }

    @Test("init prints exactly one JSON object once; a second init refuses and shows no key", arguments: TestStore.available)
    func initialise(kind: TestStore) async throws {
        try await Self.withStoreArguments(kind) { store in try Self.initialise(store) }
    }

    static func initialise(_ store: [String]) throws {
        let first = try OneProcess.run(["init", "--json"] + store)
        #expect(first.status == 0, "\(first.error)")
        let object = try JSONValue(jsonText: first.output)
        #expect(Set(object.objectValue?.keys.map { $0 } ?? []) == ["apiKey", "groupId", "personId"])
        let key = try #require(object["apiKey"]?.stringValue)
        #expect(APIKeySecret.isWellFormed(key))
        #expect(IDKind.group.matches(object["groupId"]?.stringValue ?? ""))
        #expect(first.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)

        let second = try OneProcess.run(["init", "--json"] + store)
        #expect(second.status != 0)
        #expect(second.error.contains("already initialised"))
        #expect(!second.output.contains("gsk_") && !second.error.contains("gsk_"))
    }

    @Test("keys create and revoke work on the store; bad flags exit 2 with one line", arguments: TestStore.available)
    func keysAndUsage(kind: TestStore) async throws {
        try await Self.withStoreArguments(kind) { store in try Self.keysAndUsage(store) }
    }

    static func keysAndUsage(_ store: [String]) throws {
        let initialised = try JSONValue(jsonText: try OneProcess.run(["init", "--json"] + store).output)
        let group = try #require(initialised["groupId"]?.stringValue)
        let created = try OneProcess.run(["keys", "create", "--group", group, "--role", "group_user", "--json"] + store)
        #expect(created.status == 0, "\(created.error)")
        let key = try JSONValue(jsonText: created.output)
        let keyId = try #require(key["apiKeyId"]?.stringValue)
        #expect(key["apiKey"]?.stringValue?.hasPrefix("gsk_") == true)
        #expect(try OneProcess.run(["keys", "revoke", keyId] + store).status == 0)
        let again = try OneProcess.run(["keys", "revoke", keyId] + store)
        #expect(again.status == 1)
        #expect(again.error.contains("already revoked"))
        #expect(try OneProcess.run(["keys", "create", "--group", "grp_00000000000000000000000000", "--role", "customer"] + store).status == 1)
        #expect(try OneProcess.run(["init", "--database", "mysql://nope"]).status == 1, "a malformed database URL is a clear failure")
        let badPool = try OneProcess.run(["init", "--database", "postgres://u:p@127.0.0.1:5432/db?pool_size=0"])
        #expect(badPool.status == 1)
        #expect(badPool.error.contains("pool_size"), "\(badPool.error)")

        for arguments in [
            ["--bogus"], ["serve", "--port", "eighty"], ["keys", "create", "--group", group, "--role", "king"], ["keys", "create"],
            ["serve", "--max-connections", "0"], ["serve", "--idle-timeout", "0"], ["serve", "--header-timeout", "-1"],
        ] {
            let result = try OneProcess.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.error)")
            #expect(result.error.split(separator: "\n").count == 1, "\(arguments): \(result.error)")
        }
        let help = try OneProcess.run(["serve", "--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("--data-dir"))
    }

    @Test("serve bootstraps an empty store and prints its key once; a restart prints none")
    func servePrintsKeyOnce() async throws {
        let directory = try OneProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for run in 0..<2 {
            let output = try await OneProcess.serveOutput(dataDirectory: directory)
            let keys = output.split(whereSeparator: \.isWhitespace).filter { $0.hasPrefix("gsk_") }
            #expect(keys.count == (run == 0 ? 1 : 0), "run \(run): \(output)")
        }
    }

    @Test("a database that cannot be used is named in a clear error at once", .enabled(if: TestStore.postgresAdminURL != nil, "ONE_TEST_DATABASE_URL is not set: PostgreSQL runs are skipped"))
    func unusableDatabase() throws {
        let admin = try #require(TestStore.postgresAdminURL.flatMap(URLComponents.init(string:)))
        var wrongPassword = admin
        wrongPassword.password = "not-the-password"
        var missingDatabase = admin
        missingDatabase.path = "/one_no_such_database"
        var closedPort = missingDatabase
        closedPort.port = 1
        let cases = [
            (wrongPassword.string!, "password authentication failed"),
            (missingDatabase.string!, "does not exist"),
            (closedPort.string!, "is the server running"),
        ]
        for (url, message) in cases {
            let result = try OneProcess.run(["init", "--database", url])
            #expect(result.status == 1)
            #expect(result.error.contains(message), "\(result.error)")
            #expect(!result.error.contains("not-the-password"), "the error never repeats a password")
        }
    }

    @Test("one outbox prints the mail a running server kept, as text and as JSON")
    func outbox() async throws {
        let directory = try OneProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try OneProcess.run(["outbox", "--data-dir", directory]).output.contains("empty"))
        let (process, port) = try OneProcess.serve(dataDirectory: directory, extra: ["--public-url", "https://one.example.com"])
        try await OneProcess.waitForHealth(port: port)
        let sent = try await OneProcess.request(port: port, "POST", "/api/auth/magic-link", key: "", body: ["email": "cli@example.com"])
        process.terminate()
        process.waitUntilExit()
        #expect(sent.status == 200)
        let printed = try OneProcess.run(["outbox", "--json", "--data-dir", directory])
        #expect(printed.status == 0)
        let mails = try JSONValue(jsonText: printed.output)
        guard case .array(let items) = mails, let mail = items.first?.objectValue else {
            Issue.record("no mail in \(printed.output)")
            return
        }
        #expect(mail["to"] == "cli@example.com")
        #expect(mail["subject"]?.stringValue?.contains("sign-in link") == true)
        let link = try #require(mail["links"]?.arrayValue?.first?.stringValue)
        #expect(link.hasPrefix("https://one.example.com/auth/magic-link?token="))
        #expect(mail["text"]?.stringValue?.contains(link) == true && mail["createdAt"] != nil)
        let text = try OneProcess.run(["outbox", "--data-dir", directory]).output
        #expect(text.contains("To: cli@example.com") && text.contains(link))
        #expect(try OneProcess.run(["outbox", "--limit", "0", "--data-dir", directory]).status == 2)
    }
}
