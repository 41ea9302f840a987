import AsyncHTTPClient
import Logging
import OneCore

/// The sign-in methods: passwords, sessions, mailed links, a second factor and OAuth. Every
/// change runs as one store transaction with its event; tenant rules (joining a group,
/// accepting an invitation) are ``OneService``'s, called inside those transactions.
public struct AuthService: Sendable {
    public let one: OneService
    public let configuration: AuthConfiguration
    let hasher: PasswordHasher
    let mailer: any Mailer
    let throttle = SignInThrottle()
    let httpClient: HTTPClient
    let logger: Logger

    static let verificationLifetime: Timestamp = 24 * 60 * 60 * 1000
    static let resetLifetime: Timestamp = 60 * 60 * 1000
    static let magicLinkLifetime: Timestamp = 15 * 60 * 1000
    static let challengeLifetime: Timestamp = 5 * 60 * 1000
    static let oauthStateLifetime: Timestamp = 10 * 60 * 1000

    /// - Parameter mailer: where mail goes; the dev outbox in the store when nil.
    public init(
        one: OneService, configuration: AuthConfiguration, mailer: (any Mailer)? = nil, httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "one.auth")
    ) {
        self.one = one
        self.configuration = configuration
        self.hasher = PasswordHasher(cost: configuration.bcryptCost)
        self.mailer = mailer ?? OutboxMailer(store: one.store, ids: one.ids, clock: one.clock, logger: logger)
        self.httpClient = httpClient
        self.logger = logger
    }

    var store: any Store { one.store }
    var now: Timestamp { one.clock.now() }
}

/// Who is signing in, as the request tells: kept on the session so people can tell theirs apart.
public struct ClientInfo: Sendable {
    public var userAgent: String?
    public var address: String?

    public init(userAgent: String? = nil, address: String? = nil) {
        self.userAgent = userAgent.map { String($0.prefix(300)) }
        self.address = address
    }
}

/// A session just made, and its token, which is shown this once.
public struct IssuedSession: Sendable {
    public var session: Session
    public var token: String
}

/// The outcome of signing up or signing in.
public struct SignedIn: Sendable {
    public var identity: Identity
    /// Nil when the email must be verified first.
    public var session: IssuedSession?
    public var verificationRequired: Bool
}

/// Signing in either ends with a session or asks for the second factor.
public enum SignInOutcome: Sendable {
    case signedIn(SignedIn)
    case twoFactorRequired(challenge: String)
}

extension AuthService {
    /// Makes a session for `identityId` inside a transaction.
    func issueSession(_ identityId: String, _ client: ClientInfo, _ transaction: any StoreTransaction) async throws
        -> IssuedSession
    {
        let now = self.now
        let token = SessionToken.generate()
        let session = Session(
            id: one.ids.make(.session), identityId: identityId, createdAt: now, expiresAt: now + OneService.sessionLifetime,
            refreshedAt: now, userAgent: client.userAgent, address: client.address)
        try await transaction.insertSession(session, hash: SecretToken.hash(token))
        return IssuedSession(session: session, token: token)
    }

    /// Appends an event to the identity's own security log (kept under the identity's ID, so
    /// no group can read it). Never carries a secret.
    func log(
        _ type: String, identityId: String, _ transaction: any StoreTransaction, metadata: [String: JSONValue] = [:]
    ) async throws {
        try await transaction.append(EventDraft(
            groupId: identityId, type: type, actorId: identityId, targetId: identityId, metadata: .object(metadata)))
    }

    /// Stores a new single-use token and returns its secret.
    func newToken(
        _ purpose: AuthToken.Purpose, identityId: String?, email: String?, lifetime: Timestamp,
        data: JSONValue = [:], _ transaction: any StoreTransaction
    ) async throws -> String {
        let secret = SecretToken.generate()
        let now = self.now
        try await transaction.insertAuthToken(AuthToken(
            hash: SecretToken.hash(secret), purpose: purpose, identityId: identityId, email: email, data: data,
            createdAt: now, expiresAt: now + lifetime))
        return secret
    }

    /// Takes a single-use token: it is deleted whatever happens next in the transaction's
    /// success, and refused (400, naming `token`) when unknown, used, expired or for another purpose.
    func consumeToken(_ secret: String?, _ purpose: AuthToken.Purpose, _ transaction: any StoreTransaction) async throws
        -> AuthToken
    {
        let secret = try Validate.text(secret, field: "token", maxLength: 200)
        let hash = SecretToken.hash(secret)
        guard let token = try await transaction.authTokenForUpdate(hash: hash), token.purpose == purpose else {
            throw Self.invalidToken
        }
        try await transaction.deleteAuthToken(hash: hash)
        guard token.expiresAt > now else { throw OneError(.invalidToken, "this link has expired; ask for a new one", field: "token") }
        return token
    }

    static let invalidToken = OneError(.invalidToken, "this link is invalid or has already been used", field: "token")

    /// Sends a mail with one link to `path` on the public URL carrying `token`; a failure to
    /// send is logged, not shown, so answers stay the same whatever the mail service does.
    func mail(to: String, subject: String, intro: String, path: String, token: String) async {
        let link = "\(configuration.publicURL)\(path)?token=\(token)"
        let text = "\(intro)\n\n\(link)\n\nIf you did not ask for this, you can ignore this message."
        do {
            try await mailer.send(OutgoingMail(to: to, subject: subject, text: text, links: [link]))
        } catch {
            logger.error("mail could not be sent", metadata: ["to": "\(to)", "error": "\(error)"])
        }
    }

    func identity(_ id: String) async throws -> Identity {
        guard let identity = try await store.identity(id: id) else { throw OneError(.unauthenticated, "the account no longer exists") }
        return identity
    }
}
