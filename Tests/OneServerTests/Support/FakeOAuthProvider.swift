import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import OneAuth
import OneCore

/// A local server speaking Google's and GitHub's OAuth wire format (token exchange with PKCE,
/// OpenID userinfo, GitHub's `/user` and `/user/emails`), so the production code path runs
/// unchanged against it.
actor FakeOAuthProvider {
    struct Grant {
        let challenge: String
        let profile: JSONValue
        let emails: JSONValue
    }

    static let clientId = "client-123"
    static let clientSecret = "secret-456"
    private var grants: [String: Grant] = [:]
    private var tokens: [String: Grant] = [:]
    private(set) var tokenRequests: [[String: String]] = []

    /// What the provider's consent screen does: hands the user a code bound to the challenge.
    func authorize(challenge: String, profile: JSONValue, emails: JSONValue = []) -> String {
        let code = "code-\(UUID().uuidString)"
        grants[code] = Grant(challenge: challenge, profile: profile, emails: emails)
        return code
    }

    func exchange(_ form: [String: String]) -> JSONValue? {
        tokenRequests.append(form)
        guard form["grant_type"] == "authorization_code", form["client_id"] == Self.clientId,
            form["client_secret"] == Self.clientSecret, let code = form["code"], let grant = grants.removeValue(forKey: code),
            let verifier = form["code_verifier"]
        else { return nil }
        let digest = Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        guard digest == grant.challenge else { return nil }
        let token = "at-\(UUID().uuidString)"
        tokens[token] = grant
        return ["access_token": .string(token), "token_type": "bearer"]
    }

    func grant(forToken token: String) -> Grant? { tokens[token] }

    var router: Router<BasicRequestContext> {
        let router = Router()
        router.post("token") { request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 16)
            var form: [String: String] = [:]
            for pair in String(buffer: body).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
                if parts.count == 2 { form[parts[0]] = parts[1] }
            }
            guard let answer = await self.exchange(form) else {
                return Self.json(["error": "invalid_grant"], status: .badRequest)
            }
            return Self.json(answer)
        }
        router.get("userinfo") { request, _ in await self.answer(request) { $0.profile } }
        router.get("user") { request, _ in await self.answer(request) { $0.profile } }
        router.get("user/emails") { request, _ in await self.answer(request) { $0.emails } }
        return router
    }

    private func answer(_ request: Request, _ pick: (Grant) -> JSONValue) -> Response {
        let token = request.headers[.authorization]?.split(separator: " ").last.map(String.init) ?? ""
        guard let grant = tokens[token] else { return Self.json(["message": "Bad credentials"], status: .unauthorized) }
        return Self.json(pick(grant))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.jsonText())))
    }

    /// Runs `body` with the provider listening on loopback and the two providers' configurations
    /// pointing at it.
    func run(_ body: @Sendable ([String: OAuthProvider]) async throws -> Void) async throws {
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(client.port ?? 0)"
            let providers: [String: OAuthProvider] = [
                "google": .google(
                    clientId: Self.clientId, clientSecret: Self.clientSecret, authorizeURL: base + "/authorize",
                    tokenURL: base + "/token", userInfoURL: base + "/userinfo"),
                "github": .github(
                    clientId: Self.clientId, clientSecret: Self.clientSecret, authorizeURL: base + "/authorize",
                    tokenURL: base + "/token", userInfoURL: base + "/user"),
            ]
            try await body(providers)
        }
    }
}
