import HTTPTypes
import Hummingbird
import OneAuth
import OneCore

/// `/api/auth`: signing up and in by each method, the session, and the second factor.
struct AuthController {
    let auth: AuthService

    /// Every field any auth route reads; each route allows its own subset.
    struct Body: Decodable {
        var email: String?
        var password: String?
        var name: String?
        var groupId: String?
        var invitation: String?
        var token: String?
        var code: String?
        var challenge: String?
        var currentPassword: String?
        var newPassword: String?
    }

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post("signup") { request, context in
            let body = try await Self.body(request, context, ["email", "password", "name", "groupId", "invitation"])
            let input = SignUpRequest(
                email: body.email, password: body.password, name: body.name, groupId: body.groupId, invitation: body.invitation)
            let signedIn = try await auth.signUp(input, client: Self.client(request, context))
            return signingIn(.signedIn(signedIn), status: .created)
        }
        routes.post("signin") { request, context in
            let body = try await Self.body(request, context, ["email", "password"])
            return signingIn(try await auth.signIn(email: body.email, password: body.password, client: Self.client(request, context)))
        }
        routes.post("signout") { _, context in
            try await auth.signOut(try context.requireSession())
            return withCookie(JSON(["signedOut": true] as JSONValue), clear: true)
        }
        routes.post("refresh") { _, context in
            let issued = try await auth.refresh(try context.requireSession())
            return withCookie(JSON(["session": issued.json] as JSONValue), issued)
        }
        routes.get("session") { _, context in
            JSON(try await auth.sessionInfo(try context.requireSession()))
        }
        routes.get("sessions") { _, context in
            let session = try context.requireSession()
            let sessions = try await auth.sessions(session)
            let results = sessions.map { listed -> JSONValue in
                var json = listed.json.objectValue ?? [:]
                json["current"] = .bool(listed.id == session.session.id)
                return .object(json)
            }
            return JSON(["results": .array(results), "count": .integer(Int64(results.count))] as JSONValue)
        }
        routes.delete("sessions/:id") { _, context in
            let id = try context.id
            try await auth.revokeSession(id: id, try context.requireSession())
            return JSON(Deleted(id))
        }
        routes.post("password") { request, context in
            let body = try await Self.body(request, context, ["currentPassword", "newPassword"])
            let issued = try await auth.changePassword(
                current: body.currentPassword, new: body.newPassword, credential: try context.requireSession(),
                client: Self.client(request, context))
            return withCookie(JSON(["session": issued.json] as JSONValue), issued)
        }
        routes.post("magic-link") { request, context in
            let body = try await Self.body(request, context, ["email"])
            try await auth.requestMagicLink(email: body.email)
            return JSON(Self.sent)
        }
        routes.post("magic-link/verify") { request, context in
            let body = try await Self.body(request, context, ["token"])
            return signingIn(try await auth.verifyMagicLink(token: body.token, client: Self.client(request, context)))
        }
        routes.post("verify-email") { request, context in
            let body = try await Self.body(request, context, ["token"])
            return JSON(["user": try await auth.verifyEmail(token: body.token).json] as JSONValue)
        }
        routes.post("verify-email/send") { _, context in
            try await auth.resendVerification(credential: try context.requireSession())
            return JSON(Self.sent)
        }
        routes.post("reset-password") { request, context in
            let body = try await Self.body(request, context, ["email"])
            try await auth.requestPasswordReset(email: body.email)
            return JSON(Self.sent)
        }
        routes.post("reset-password/confirm") { request, context in
            let body = try await Self.body(request, context, ["token", "password"])
            try await auth.resetPassword(token: body.token, password: body.password)
            return withCookie(JSON(["reset": true] as JSONValue), clear: true)
        }
        routes.post("2fa/enable") { request, context in
            let body = try await Self.body(request, context, ["password"])
            return JSON(try await auth.enableTwoFactor(password: body.password, try context.requireSession()))
        }
        routes.post("2fa/verify") { request, context in
            let body = try await Self.body(request, context, ["code", "challenge"])
            if body.challenge != nil || context.session == nil {
                let signedIn = try await auth.completeTwoFactor(
                    challenge: body.challenge, code: body.code, client: Self.client(request, context))
                return signingIn(.signedIn(signedIn))
            }
            try await auth.activateTwoFactor(code: body.code, try context.requireSession())
            return withCookie(JSON(["twoFactorEnabled": true] as JSONValue))
        }
        routes.post("2fa/disable") { request, context in
            let body = try await Self.body(request, context, ["password", "code"])
            try await auth.disableTwoFactor(password: body.password, code: body.code, try context.requireSession())
            return JSON(["twoFactorEnabled": false] as JSONValue)
        }
        routes.post("invitations/accept") { request, context in
            let body = try await Self.body(request, context, ["token"])
            return JSON(try await auth.acceptInvitation(token: body.token, try context.requireSession()))
        }
        routes.get("oauth/:provider/start") { _, context in
            let url = try await auth.oauthStart(provider: try context.parameter("provider"))
            return Response(status: .found, headers: [.location: url, .cacheControl: "no-store"])
        }
        routes.get("oauth/:provider/callback") { request, context in
            let outcome = try await auth.oauthCallback(
                provider: try context.parameter("provider"), code: request.uri.queryParameters["code"].map(String.init),
                state: request.uri.queryParameters["state"].map(String.init), client: Self.client(request, context))
            let wantsJSON = request.headers[.accept]?.contains("application/json") == true
            if wantsJSON { return signingIn(outcome) }
            // A browser goes home signed in, or to the page that asks for the second factor.
            switch outcome {
            case .signedIn(let signedIn):
                var response = Response(status: .found, headers: [.location: auth.configuration.publicURL + "/", .cacheControl: "no-store"])
                if let issued = signedIn.session { response.headers[.setCookie] = cookie(issued) }
                return response
            case .twoFactorRequired(let challenge):
                let location = auth.configuration.publicURL + "/auth/two-factor?challenge=" + challenge
                return Response(status: .found, headers: [.location: location, .cacheControl: "no-store"])
            }
        }
        return routes
    }

    static let sent: JSONValue = ["sent": true]

    static func body(_ request: Request, _ context: AppRequestContext, _ fields: Set<String>) async throws -> Body {
        var request = request
        return try await request.decodeBody(Body.self, fields: fields, context: context)
    }

    static func client(_ request: Request, _ context: AppRequestContext) -> ClientInfo {
        ClientInfo(userAgent: request.headers[.userAgent], address: context.clientAddress)
    }

    /// A sign-in's answer, with the session cookie when it made a session.
    func signingIn(_ outcome: SignInOutcome, status: HTTPResponse.Status = .ok) -> Response {
        var response = JSON(outcome, status: status).response()
        if case .signedIn(let signedIn) = outcome, let issued = signedIn.session {
            response.headers[.setCookie] = cookie(issued)
        }
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func withCookie<Value: JSONRepresentable>(_ json: JSON<Value>, _ issued: IssuedSession? = nil, clear: Bool = false) -> Response {
        var response = json.response()
        if let issued { response.headers[.setCookie] = cookie(issued) }
        if clear { response.headers[.setCookie] = cookie(nil) }
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// The session cookie: HttpOnly, path `/`, SameSite and Secure as configured; empty and
    /// expired to clear it.
    func cookie(_ issued: IssuedSession?) -> String {
        let settings = auth.configuration.cookie
        var parts = ["\(settings.name)=\(issued?.token ?? "")", "Path=/", "HttpOnly", "SameSite=\(settings.sameSite.rawValue)"]
        if let issued {
            parts.append("Max-Age=\(max(0, (issued.session.expiresAt - auth.one.clock.now()) / 1000))")
        } else {
            parts.append("Max-Age=0")
        }
        if settings.secure ?? auth.configuration.isHTTPS || settings.sameSite == .none { parts.append("Secure") }
        return parts.joined(separator: "; ")
    }
}
