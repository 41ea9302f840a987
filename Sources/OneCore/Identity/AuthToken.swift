/// A single-use secret sent to someone (by mail or through a redirect), stored only as its
/// SHA-256 digest: email verification, password reset, magic link, invitation, a sign-in's
/// second-step challenge, or an OAuth state.
public struct AuthToken: Sendable, Equatable {
    public enum Purpose: String, Sendable, CaseIterable {
        case verifyEmail = "verify_email"
        case resetPassword = "reset_password"
        case magicLink = "magic_link"
        case invitation
        case twoFactorChallenge = "two_factor_challenge"
        case oauthState = "oauth_state"
    }

    public var hash: String
    public var purpose: Purpose
    public var identityId: String?
    public var email: String?
    /// What the purpose needs: the invited membership, the PKCE verifier, …
    public var data: JSONValue
    /// Wrong answers so far (second-step challenges).
    public var attempts: Int
    public var createdAt: Timestamp
    public var expiresAt: Timestamp

    public init(
        hash: String, purpose: Purpose, identityId: String? = nil, email: String? = nil, data: JSONValue = [:],
        attempts: Int = 0, createdAt: Timestamp, expiresAt: Timestamp
    ) {
        self.hash = hash
        self.purpose = purpose
        self.identityId = identityId
        self.email = email
        self.data = data
        self.attempts = attempts
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// A mail as sent: kept in the dev outbox when no mail service is configured.
public struct MailMessage: Codable, Sendable, Equatable {
    public var id: String
    public var to: String
    public var subject: String
    public var text: String
    /// The links in `text`, in order, so tools and tests need not parse it.
    public var links: [String]
    public var createdAt: Timestamp

    public init(id: String, to: String, subject: String, text: String, links: [String], createdAt: Timestamp) {
        self.id = id
        self.to = to
        self.subject = subject
        self.text = text
        self.links = links
        self.createdAt = createdAt
    }
}
