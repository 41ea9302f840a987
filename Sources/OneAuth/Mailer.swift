import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import OneCore

/// Where mail goes: the port for verification, reset, magic-link and invitation messages.
public protocol Mailer: Sendable {
    func send(_ mail: OutgoingMail) async throws
}

/// A message to send.
public struct OutgoingMail: Sendable, Equatable {
    public var to: String
    public var subject: String
    public var text: String
    /// The links `text` carries, in order.
    public var links: [String]
}

/// The default: each message is kept in the store's dev outbox (`one outbox`) and announced in
/// the log, so every flow works on a machine with no mail service.
public struct OutboxMailer: Mailer {
    let store: any Store
    let ids: IDGenerator
    let clock: Clock
    let logger: Logger

    public init(store: any Store, ids: IDGenerator, clock: Clock, logger: Logger) {
        self.store = store
        self.ids = ids
        self.clock = clock
        self.logger = logger
    }

    public func send(_ mail: OutgoingMail) async throws {
        let message = MailMessage(
            id: ids.make(.mail), to: mail.to, subject: mail.subject, text: mail.text, links: mail.links,
            createdAt: clock.now())
        _ = try await store.write { transaction in try await transaction.insertMail(message) }
        logger.info("mail kept in the dev outbox; read it with `one outbox`", metadata: ["to": "\(mail.to)", "subject": "\(mail.subject)"])
    }
}

/// Mail through an HTTP mail API that takes `{from, to, subject, text}` as JSON with a bearer
/// key (Resend's `POST /emails` shape, which the seeds use).
public struct HTTPMailer: Mailer {
    let url: String
    let apiKey: String
    let from: String
    let client: HTTPClient

    public init(url: String, apiKey: String, from: String, client: HTTPClient = .shared) {
        self.url = url
        self.apiKey = apiKey
        self.from = from
        self.client = client
    }

    public func send(_ mail: OutgoingMail) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        request.headers.add(name: "Content-Type", value: "application/json")
        let body: JSONValue = [
            "from": .string(from), "to": .array([.string(mail.to)]), "subject": .string(mail.subject),
            "text": .string(mail.text),
        ]
        request.body = .bytes(ByteBuffer(string: body.jsonText()))
        let response = try await client.execute(request, timeout: .seconds(10))
        guard (200..<300).contains(response.status.code) else {
            throw OneError(.unavailable, "the mail service answered \(response.status.code)")
        }
    }
}
