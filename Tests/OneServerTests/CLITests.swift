import HTTPTypes
import Foundation
import OneCore
import Testing

@Suite("one command line")
struct CLITests {
    @Test("init prints exactly one JSON object once; a second init refuses and shows no key")
    func initialise() throws {
        let directory = try OneProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try OneProcess.run(["init", "--data-dir", directory, "--json"])
        #expect(first.status == 0, "\(first.error)")
        let object = try JSONValue(jsonText: first.output)
        #expect(Set(object.objectValue?.keys.map { $0 } ?? []) == ["apiKey", "groupId", "personId"])
        let key = try #require(object["apiKey"]?.stringValue)
        #expect(APIKeySecret.isWellFormed(key))
        #expect(IDKind.group.matches(object["groupId"]?.stringValue ?? ""))
        #expect(first.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)

        let second = try OneProcess.run(["init", "--data-dir", directory, "--json"])
        #expect(second.status != 0)
        #expect(second.error.contains("already initialised"))
        #expect(!second.output.contains("gsk_") && !second.error.contains("gsk_"))
    }

    @Test("keys create and revoke work on the store; bad flags exit 2 with one line")
    func keysAndUsage() throws {
        let directory = try OneProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let initialised = try JSONValue(jsonText: try OneProcess.run(["init", "--data-dir", directory, "--json"]).output)
        let group = try #require(initialised["groupId"]?.stringValue)
        let created = try OneProcess.run(["keys", "create", "--group", group, "--role", "group_user", "--data-dir", directory, "--json"])
        #expect(created.status == 0, "\(created.error)")
        let key = try JSONValue(jsonText: created.output)
        let keyId = try #require(key["apiKeyId"]?.stringValue)
        #expect(key["apiKey"]?.stringValue?.hasPrefix("gsk_") == true)
        #expect(try OneProcess.run(["keys", "revoke", keyId, "--data-dir", directory]).status == 0)
        let again = try OneProcess.run(["keys", "revoke", keyId, "--data-dir", directory])
        #expect(again.status == 1)
        #expect(again.error.contains("already revoked"))
        #expect(try OneProcess.run(["keys", "create", "--group", "grp_00000000000000000000000000", "--role", "customer", "--data-dir", directory]).status == 1)

        for arguments in [["--bogus"], ["serve", "--port", "eighty"], ["keys", "create", "--group", group, "--role", "king"], ["keys", "create"]] {
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
            let output = try await OneProcess.serveOutput(dataDirectory: directory, for: .milliseconds(1_500))
            let keys = output.split(whereSeparator: \.isWhitespace).filter { $0.hasPrefix("gsk_") }
            #expect(keys.count == (run == 0 ? 1 : 0), "run \(run): \(output)")
        }
    }
}
