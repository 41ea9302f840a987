/// An OAuth 2.0 provider's endpoints and this server's client credentials there.
public struct OAuthProvider: Sendable {
    /// How the provider shows who signed in.
    public enum Profile: Sendable {
        /// OpenID Connect userinfo: `sub`, `email`, `email_verified`, `name`.
        case openIDConnect
        /// GitHub: `/user` for `id` and `name`, and `emailsURL` for verified addresses.
        case github(emailsURL: String)
    }

    public var name: String
    public var clientId: String
    public var clientSecret: String
    public var authorizeURL: String
    public var tokenURL: String
    public var userInfoURL: String
    public var scope: String
    public var profile: Profile

    public init(
        name: String, clientId: String, clientSecret: String, authorizeURL: String, tokenURL: String,
        userInfoURL: String, scope: String, profile: Profile
    ) {
        self.name = name
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.authorizeURL = authorizeURL
        self.tokenURL = tokenURL
        self.userInfoURL = userInfoURL
        self.scope = scope
        self.profile = profile
    }

    /// Google, at its real endpoints unless others are given.
    public static func google(
        clientId: String, clientSecret: String, authorizeURL: String? = nil, tokenURL: String? = nil,
        userInfoURL: String? = nil
    ) -> OAuthProvider {
        OAuthProvider(
            name: "google", clientId: clientId, clientSecret: clientSecret,
            authorizeURL: authorizeURL ?? "https://accounts.google.com/o/oauth2/v2/auth",
            tokenURL: tokenURL ?? "https://oauth2.googleapis.com/token",
            userInfoURL: userInfoURL ?? "https://openidconnect.googleapis.com/v1/userinfo",
            scope: "openid email profile", profile: .openIDConnect)
    }

    /// GitHub, at its real endpoints unless others are given; the emails endpoint sits beside `/user`.
    public static func github(
        clientId: String, clientSecret: String, authorizeURL: String? = nil, tokenURL: String? = nil,
        userInfoURL: String? = nil
    ) -> OAuthProvider {
        let userInfo = userInfoURL ?? "https://api.github.com/user"
        return OAuthProvider(
            name: "github", clientId: clientId, clientSecret: clientSecret,
            authorizeURL: authorizeURL ?? "https://github.com/login/oauth/authorize",
            tokenURL: tokenURL ?? "https://github.com/login/oauth/access_token", userInfoURL: userInfo,
            scope: "read:user user:email", profile: .github(emailsURL: userInfo + "/emails"))
    }

    /// The providers configured by `ONE_OAUTH_{GOOGLE|GITHUB}_CLIENT_ID`, `_CLIENT_SECRET` and,
    /// for other endpoints, `_AUTHORIZE_URL`, `_TOKEN_URL`, `_USERINFO_URL`.
    public static func fromEnvironment(_ environment: [String: String]) -> [String: OAuthProvider] {
        var providers: [String: OAuthProvider] = [:]
        for (name, make) in [("GOOGLE", google), ("GITHUB", github)] {
            let prefix = "ONE_OAUTH_\(name)_"
            guard let id = environment[prefix + "CLIENT_ID"], let secret = environment[prefix + "CLIENT_SECRET"] else { continue }
            let provider = make(
                id, secret, environment[prefix + "AUTHORIZE_URL"], environment[prefix + "TOKEN_URL"],
                environment[prefix + "USERINFO_URL"])
            providers[provider.name] = provider
        }
        return providers
    }
}
