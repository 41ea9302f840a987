import ArgumentParser
import Foundation
import OneCore

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Initialise an empty store without serving: a platform group, its owner, and a platform_owner API key."
    )

    @Option(help: "Email of the platform owner.") var email: String = "owner@one.local"
    @Flag(help: "Print exactly one JSON object: {\"apiKey\", \"groupId\", \"personId\"}.") var json = false
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let result = try await store.withService { try await $0.bootstrap(ownerEmail: email) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print("Initialised \(store.location.description).")
            print("Platform owner API key (shown once): \(result.apiKey)")
            print("group: \(result.groupId)  person: \(result.personId)")
        }
    }
}
