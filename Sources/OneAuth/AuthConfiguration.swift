import Foundation

/// How sign-in behaves: where links point, how cookies are set, which methods are open.
public struct AuthConfiguration: Sendable {
    /// The origin users reach the server at (`https://api.example.com`); links in mail start
    /// with it, and browsers posting with a session cookie must come from it or a `trustedOrigins`.
    public var publicURL: String
    /// Other origins whose pages may call the API with the session cookie (`--cors-origin`).
    public var trustedOrigins: [String]
    /// bcrypt's work factor: 12 costs about a quarter of a second a hash on one core.
    public var bcryptCost: UInt8
    /// Refuse sign-in, and issue no session at sign-up, until the email is verified.
    public var requireEmailVerification: Bool
    /// Whether a magic link to an unknown email makes an account.
    public var magicLinkSignup: Bool
    public var cookie: SessionCookie
    public var providers: [String: OAuthProvider]
    /// Where mail comes from.
    public var mailFrom: String

    public init(
        publicURL: String = "http://127.0.0.1:8080", trustedOrigins: [String] = [], bcryptCost: UInt8 = 12,
        requireEmailVerification: Bool = false, magicLinkSignup: Bool = true, cookie: SessionCookie = SessionCookie(),
        providers: [String: OAuthProvider] = [:], mailFrom: String = "ONE <no-reply@localhost>"
    ) {
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.trustedOrigins = trustedOrigins
        self.bcryptCost = bcryptCost
        self.requireEmailVerification = requireEmailVerification
        self.magicLinkSignup = magicLinkSignup
        self.cookie = cookie
        self.providers = providers
        self.mailFrom = mailFrom
    }

    /// The public URL's origin (scheme, host and port).
    public var publicOrigin: String { Self.origin(of: publicURL) ?? publicURL }

    /// Whether the public URL is https, which makes cookies Secure and turns HSTS on.
    public var isHTTPS: Bool { publicURL.lowercased().hasPrefix("https://") }

    /// Whether a browser page at `origin` may act with the session cookie.
    public func trusts(origin: String) -> Bool {
        let origin = origin.lowercased()
        return origin == publicOrigin.lowercased() || trustedOrigins.contains { $0.lowercased() == origin }
    }

    /// `scheme://host[:port]` of a URL, or nil when it is not an absolute http(s) URL.
    public static func origin(of url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty else { return nil }
        return scheme + "://" + authority.lowercased()
    }
}

/// The session cookie's attributes. `Secure` follows the public URL unless set.
public struct SessionCookie: Sendable {
    public enum SameSite: String, Sendable, CaseIterable { case strict = "Strict", lax = "Lax", none = "None" }

    public var name: String
    public var secure: Bool?
    public var sameSite: SameSite

    public init(name: String = "one_session", secure: Bool? = nil, sameSite: SameSite = .lax) {
        self.name = name
        self.secure = secure
        self.sameSite = sameSite
    }
}
