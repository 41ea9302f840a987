import Foundation
import HTTPTypes
import OneCore
import Testing

/// A signed-in account in a test: its session token and identity.
struct Account: Sendable {
    let email: String
    let token: String
    let userId: String

    var bearer: HTTPFields { [.authorization: "Bearer \(token)"] }
}

extension TestServer {
    static let password = "correct horse battery"

    /// Signs up `email` (into `groupId` when given) and returns the session.
    func signUp(_ email: String, password: String = TestServer.password, groupId: String? = nil) async throws -> Account {
        var body: [String: JSONValue] = ["email": .string(email), "password": .string(password)]
        if let groupId { body["groupId"] = .string(groupId) }
        let reply = try await api.request(.post, "/api/auth/signup", key: nil, body: .object(body))
        let json = try reply.expect(.created)
        return Account(
            email: email, token: try #require(json.objectValue?["session"]?.objectValue?["token"]?.stringValue),
            userId: try #require(json.objectValue?["user"]?.objectValue?["_id"]?.stringValue))
    }

    func signIn(_ email: String, password: String = TestServer.password, headers: HTTPFields = [:]) async throws -> Reply {
        try await api.request(
            .post, "/api/auth/signin", key: nil, body: ["email": .string(email), "password": .string(password)], headers: headers)
    }

    /// A request as a signed-in account.
    func asAccount(
        _ account: Account, _ method: HTTPRequest.Method, _ path: String, group: String? = nil, body: JSONValue? = nil,
        headers: HTTPFields = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Reply {
        var headers = headers
        headers[.authorization] = "Bearer \(account.token)"
        return try await api.request(method, path, key: nil, group: group, body: body, headers: headers, sourceLocation: sourceLocation)
    }

    /// Messages in the dev outbox to `email`, oldest first.
    func mails(to email: String) async throws -> [MailMessage] {
        try await store.mails(limit: 1_000).filter { $0.to == email }
    }

    /// The token of the newest mail to `email` whose subject contains `subject`.
    func mailedToken(to email: String, subject: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let mail = try #require(try await mails(to: email).last { $0.subject.contains(subject) }, sourceLocation: sourceLocation)
        let link = try #require(mail.links.first, sourceLocation: sourceLocation)
        #expect(mail.text.contains(link), sourceLocation: sourceLocation)
        let token = try #require(link.components(separatedBy: "token=").dropFirst().last, sourceLocation: sourceLocation)
        return token
    }
}
