import Hummingbird
import OneCore

/// Public routes: `/health` (the store answers), `/openapi.json` (the contract) and `/docs`
/// (the contract rendered for people, by a self-contained page that reads `/openapi.json`).
struct HealthController {
    let service: OneService

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("health") { _, _ in
            do {
                try await service.store.ping()
            } catch {
                throw OneError(.unavailable, "the store is not answering")
            }
            return JSON(["status": "ok"] as JSONValue)
        }
        routes.get("openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.bytes)))
        }
        routes.get("docs") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.page)))
        }
        return routes
    }

    /// `GET /api/health` behind authentication: the store answers, and who the caller is.
    var callerRoutes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("health") { _, context in
            let principal = try context.requirePrincipal()
            do {
                try await service.store.ping()
            } catch {
                throw OneError(.unavailable, "the store is not answering")
            }
            let credential: JSONValue = switch principal.authentication {
            case .apiKey: "apiKey"
            case .session: "session"
            case .syncSecret: "syncSecret"
            }
            return JSON([
                "status": "ok", "groupId": .string(principal.groupId), "role": .string(principal.role.rawValue),
                "actorId": .string(principal.actorId), "credential": credential,
            ] as JSONValue)
        }
        return routes
    }
}
