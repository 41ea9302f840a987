import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import OneCore

/// Who the provider says signed in.
struct ProviderProfile: Sendable {
    var subject: String
    var email: String?
    var emailVerified: Bool
    var name: String?
}

extension AuthService {
    /// The provider's authorization URL for a new sign-in, with a single-use `state` (kept
    /// hashed, ten minutes) and an S256 PKCE challenge whose verifier never leaves the server.
    public func oauthStart(provider name: String) async throws -> String {
        let provider = try provider(name)
        let verifier = SecretToken.generate(length: 64)
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncoded
        let state = try await one.write { transaction in
            try await self.newToken(
                .oauthState, identityId: nil, email: nil, lifetime: Self.oauthStateLifetime,
                data: ["provider": .string(name), "verifier": .string(verifier)], transaction)
        }
        guard var components = URLComponents(string: provider.authorizeURL) else {
            throw OneError(.internal, "the provider's authorize URL is not a URL")
        }
        let existing = components.queryItems ?? []
        components.queryItems = existing + [
            URLQueryItem(name: "response_type", value: "code"), URLQueryItem(name: "client_id", value: provider.clientId),
            URLQueryItem(name: "redirect_uri", value: redirectURI(name)), URLQueryItem(name: "scope", value: provider.scope),
            URLQueryItem(name: "state", value: state), URLQueryItem(name: "code_challenge", value: challenge),
            URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        guard let url = components.string else { throw OneError(.internal, "the provider's authorize URL is not a URL") }
        return url
    }

    /// Finishes a sign-in: takes the state, exchanges the code (with the PKCE verifier), reads
    /// the profile, and signs in the linked account, or links by verified email, or makes one.
    public func oauthCallback(provider name: String, code: String?, state: String?, client: ClientInfo) async throws
        -> SignInOutcome
    {
        let provider = try provider(name)
        let code = try Validate.text(code, field: "code", maxLength: 2_000)
        let stateToken = try await one.write { transaction in try await self.consumeToken(state, .oauthState, transaction) }
        guard case .string(name)? = stateToken.data.objectValue?["provider"],
            case .string(let verifier)? = stateToken.data.objectValue?["verifier"]
        else { throw OneError(.invalidToken, "this sign-in was started for another provider", field: "state") }
        let accessToken = try await exchange(code: code, verifier: verifier, provider)
        let profile = try await profile(accessToken: accessToken, provider)
        let identity = try await link(profile, provider: name)
        return try await completeFirstFactor(identity, method: "oauth_\(name)", client: client)
    }

    /// The providers this server knows how to talk to.
    static let supportedProviders: Set<String> = ["google", "github"]

    private func provider(_ name: String) throws -> OAuthProvider {
        guard Self.supportedProviders.contains(name) else { throw OneError.notFound("OAuth provider '\(name)'") }
        guard let provider = configuration.providers[name] else {
            throw OneError.notFound("OAuth provider '\(name)' (configure ONE_OAUTH_\(name.uppercased())_CLIENT_ID and _CLIENT_SECRET)")
        }
        return provider
    }

    func redirectURI(_ name: String) -> String { "\(configuration.publicURL)/api/auth/oauth/\(name)/callback" }

    private func exchange(code: String, verifier: String, _ provider: OAuthProvider) async throws -> String {
        var form = URLComponents()
        form.queryItems = [
            URLQueryItem(name: "grant_type", value: "authorization_code"), URLQueryItem(name: "code", value: code),
            URLQueryItem(name: "redirect_uri", value: redirectURI(provider.name)),
            URLQueryItem(name: "client_id", value: provider.clientId),
            URLQueryItem(name: "client_secret", value: provider.clientSecret),
            URLQueryItem(name: "code_verifier", value: verifier),
        ]
        var request = HTTPClientRequest(url: provider.tokenURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: (form.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")))
        let body = try await fetchJSON(request, from: provider)
        guard case .string(let token)? = body.objectValue?["access_token"] else {
            throw OneError(.unauthenticated, "\(provider.name) did not accept the sign-in; start again")
        }
        return token
    }

    private func profile(accessToken: String, _ provider: OAuthProvider) async throws -> ProviderProfile {
        let user = try await fetchJSON(authorized(provider.userInfoURL, accessToken), from: provider).objectValue ?? [:]
        switch provider.profile {
        case .openIDConnect:
            guard case .string(let subject)? = user["sub"] else { throw Self.badProfile(provider) }
            let verified = user["email_verified"] == .bool(true) || user["email_verified"] == .string("true")
            return ProviderProfile(subject: subject, email: user["email"]?.stringValue, emailVerified: verified, name: user["name"]?.stringValue)
        case .github(let emailsURL):
            let subject: String
            switch user["id"] {
            case .integer(let id)?: subject = String(id)
            case .string(let id)?: subject = id
            default: throw Self.badProfile(provider)
            }
            guard let emails = try await fetchJSON(authorized(emailsURL, accessToken), from: provider).arrayValue else {
                throw Self.badProfile(provider)
            }
            let primary = emails.compactMap { $0.objectValue }.first { $0["primary"] == .bool(true) && $0["verified"] == .bool(true) }
            let email = primary?["email"]?.stringValue ?? user["email"]?.stringValue
            let name = user["name"]?.stringValue ?? user["login"]?.stringValue
            return ProviderProfile(subject: subject, email: email, emailVerified: primary != nil, name: name)
        }
    }

    /// The account for a provider profile: the one already linked; else the one with the same
    /// email when the provider has verified it; else a new one. An unverified email that an
    /// account already uses is refused, so nobody takes over an account through a provider.
    func link(_ profile: ProviderProfile, provider: String) async throws -> Identity {
        guard let rawEmail = profile.email else {
            throw OneError(.validation, "the \(provider) account has no email address to sign in with", field: "email")
        }
        let email = try Validate.email(rawEmail)
        let now = self.now
        let newId = one.ids.make(.identity)
        return try await one.write { transaction in
            if let linked = try await transaction.oauthIdentityId(provider: provider, subject: profile.subject),
                let identity = try await transaction.identityForUpdate(id: linked)
            {
                return identity
            }
            var identity: Identity
            if let existing = try await transaction.identityForUpdate(email: email) {
                guard profile.emailVerified else {
                    throw OneError.conflict("an account with this email exists; sign in to it first, as \(provider) has not verified the email")
                }
                identity = existing
                if identity.emailVerifiedAt == nil {
                    identity.emailVerifiedAt = now
                    identity.updatedAt = now
                    try await transaction.updateIdentity(identity)
                }
            } else {
                identity = Identity(
                    id: newId, email: email, name: profile.name, emailVerifiedAt: profile.emailVerified ? now : nil,
                    createdAt: now, updatedAt: now)
                try await transaction.insertIdentity(identity)
                try await self.log("user_registered", identityId: newId, transaction, metadata: ["method": .string("oauth_\(provider)")])
            }
            try await transaction.insertOAuthAccount(provider: provider, subject: profile.subject, identityId: identity.id, createdAt: now)
            return identity
        }
    }

    private func authorized(_ url: String, _ token: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "one")
        return request
    }

    private func fetchJSON(_ request: HTTPClientRequest, from provider: OAuthProvider) async throws -> JSONValue {
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: .seconds(10))
        } catch {
            throw OneError(.unavailable, "\(provider.name) could not be reached; try again later")
        }
        let body = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(response.status.code), let json = try? JSONValue(storedText: String(buffer: body)) else {
            throw OneError(.unauthenticated, "\(provider.name) refused the sign-in (\(response.status.code)); start again")
        }
        return json
    }

    private static func badProfile(_ provider: OAuthProvider) -> OneError {
        OneError(.unavailable, "\(provider.name) sent a profile this server cannot read")
    }
}

extension Data {
    /// Base64url without padding (RFC 7636's encoding of the PKCE challenge).
    var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
