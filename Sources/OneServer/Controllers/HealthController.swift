import Hummingbird
import OneCore

/// Public probes: `/health` (the store answers) and `/openapi.json` (the contract).
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
        return routes
    }
}
