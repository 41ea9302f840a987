import ArgumentParser
import Foundation
import OneCore

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create and revoke API keys, for operators with access to the store.",
        subcommands: [Create.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key in a group and print it once.")

        @Option(help: "The group the key belongs to (grp_…).") var group: String
        @Option(help: "platform_owner, group_owner, group_user or customer.") var role: String
        @Option(help: "A name to tell the key by.") var name: String = "CLI key"
        @Option(name: .customLong("rate-limit"), help: "Requests per minute allowed (burst is a tenth).")
        var rateLimit: Int?
        @Flag(help: "Print one JSON object with the key and its record.") var json = false
        @OptionGroup var store: StoreOptions

        func validate() throws {
            guard Role(rawValue: role) != nil else {
                throw ValidationError("--role must be one of: \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if let rateLimit, rateLimit < 1 { throw ValidationError("--rate-limit must be at least 1") }
        }

        func run() async throws {
            let limit = rateLimit.map { RateLimit(requests: $0, burst: min(100_000, max(1, $0 / 10))) }
            let issued = try await store.withService {
                try await $0.createAPIKeyAsOperator(NewAPIKey(name: name, role: role, rateLimit: limit), groupId: group)
            }
            if json {
                let output: [String: String] = [
                    "apiKey": issued.secret, "apiKeyId": issued.key.id, "groupId": issued.key.groupId,
                    "role": issued.key.role.rawValue,
                ]
                let encoder = JSONEncoder()
                encoder.outputFormatting = .sortedKeys
                print(String(decoding: try encoder.encode(output), as: UTF8.self))
            } else {
                print("API key \(issued.key.id) (\(issued.key.role.rawValue)) in \(issued.key.groupId), shown once:")
                print(issued.secret)
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key: it stops working at once.")

        @Argument(help: "The key's ID (key_…).") var id: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let key = try await store.withService { try await $0.revokeAPIKeyAsOperator(id: id) }
            print("Revoked \(key.id) (\(key.name)).")
        }
    }
}
