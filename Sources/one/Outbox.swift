import ArgumentParser
import Foundation
import OneCore

/// `one outbox`: the dev outbox, where mail waits when no mail service is configured.
struct Outbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the mail kept in the dev outbox (verification, reset, magic-link and invitation links).")

    @Option(help: "How many of the newest messages to print.") var limit: Int = 20
    @Flag(help: "Print a JSON array of {to, subject, text, links, createdAt}.") var json = false
    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
    }

    func run() async throws {
        let mails = try await store.withService { try await $0.store.mails(limit: limit) }
        if json {
            let array: [JSONValue] = mails.map { mail in
                [
                    "to": .string(mail.to), "subject": .string(mail.subject), "text": .string(mail.text),
                    "links": .init(mail.links), "createdAt": .integer(mail.createdAt),
                ]
            }
            print(JSONValue.array(array).jsonText())
            return
        }
        if mails.isEmpty { print("The outbox is empty.") }
        for mail in mails {
            let date = Date(timeIntervalSince1970: Double(mail.createdAt) / 1000)
            print("To: \(mail.to)\nSubject: \(mail.subject)\nDate: \(date)\n\n\(mail.text)\n\n---")
        }
    }
}
