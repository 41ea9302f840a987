import Foundation
import HTTPTypes
import OneCore
import Testing

@Suite("Health and the OpenAPI contract")
struct HealthAndContractTests {
    @Test("/health answers ok once the store does", arguments: TestStore.available)
    func health(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let health = try await server.api.get("/health", key: nil).okJSON
            #expect(health == ["status": "ok"])
        }
    }

    /// Every route the router serves, as the OpenAPI document spells it.
    static let routes: [(String, String)] = [
        ("get", "/health"), ("get", "/openapi.json"), ("get", "/docs"),
        ("get", "/api/groups"), ("post", "/api/groups"), ("get", "/api/groups/{id}"), ("patch", "/api/groups/{id}"),
        ("delete", "/api/groups/{id}"), ("get", "/api/groups/{id}/children"), ("get", "/api/groups/{id}/usage"),
        ("get", "/api/people"), ("post", "/api/people"), ("get", "/api/people/{id}"), ("patch", "/api/people/{id}"),
        ("delete", "/api/people/{id}"), ("get", "/api/people/{id}/groups"),
        ("get", "/api/things"), ("post", "/api/things"), ("get", "/api/things/{id}"), ("patch", "/api/things/{id}"),
        ("delete", "/api/things/{id}"), ("get", "/api/things/{id}/connections"), ("get", "/api/things/{id}/events"),
        ("get", "/api/connections"), ("post", "/api/connections"), ("get", "/api/connections/{id}"),
        ("delete", "/api/connections/{id}"), ("get", "/api/connections/from/{id}"), ("get", "/api/connections/to/{id}"),
        ("get", "/api/events"), ("post", "/api/events"), ("get", "/api/events/{id}"), ("get", "/api/events/actor/{id}"),
        ("get", "/api/events/target/{id}"), ("get", "/api/events/timeline"),
        ("get", "/api/knowledge"), ("post", "/api/knowledge"), ("get", "/api/knowledge/{id}"), ("delete", "/api/knowledge/{id}"),
        ("post", "/api/knowledge/search"), ("post", "/api/knowledge/embed"), ("post", "/api/knowledge/reembed"), ("post", "/api/ai/embed"), ("post", "/api/ai/generate"),
        ("post", "/api/ai/stream"), ("post", "/api/ai/chat"), ("post", "/api/ai/extract"),
        ("post", "/api/keys"), ("get", "/api/keys"), ("delete", "/api/keys/{id}"),
        ("post", "/api/auth/signup"), ("post", "/api/auth/signin"), ("post", "/api/auth/signout"), ("post", "/api/auth/refresh"),
        ("get", "/api/auth/session"), ("get", "/api/auth/sessions"), ("delete", "/api/auth/sessions/{id}"),
        ("post", "/api/auth/password"), ("post", "/api/auth/magic-link"), ("post", "/api/auth/magic-link/verify"),
        ("post", "/api/auth/verify-email"), ("post", "/api/auth/verify-email/send"), ("post", "/api/auth/reset-password"),
        ("post", "/api/auth/reset-password/confirm"), ("post", "/api/auth/2fa/enable"), ("post", "/api/auth/2fa/verify"),
        ("post", "/api/auth/2fa/disable"), ("post", "/api/auth/invitations/accept"),
        ("get", "/api/auth/oauth/{provider}/start"), ("get", "/api/auth/oauth/{provider}/callback"),
        ("get", "/api/realtime"), ("post", "/api/realtime/ticket"), ("get", "/api/changes"), ("get", "/api/events/stream"),
        ("get", "/api/health"), ("put", "/api/things/{id}/tags/{key}"), ("delete", "/api/things/{id}/tags/{key}"),
        ("get", "/api/graph/{id}"), ("post", "/api/batch"), ("post", "/api/sync/{dimension}"),
        ("post", "/api/groups/{id}/sync-secret"), ("delete", "/api/groups/{id}/sync-secret"),
    ]

    @Test("/docs serves the page that renders the contract", arguments: TestStore.available)
    func docsPage(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let reply = try await server.api.get("/docs", key: nil)
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType]?.hasPrefix("text/html") == true)
            guard case .string(let html) = reply.json else {
                Issue.record("not a page")
                return
            }
            #expect(html.contains("fetch(\"/openapi.json\")"))
        }
    }

    @Test("/openapi.json is an OpenAPI 3.1 document describing every route the server has", arguments: TestStore.available)
    func contract(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let document = try await server.api.get("/openapi.json", key: nil).expect(.ok)
            #expect(document["openapi"]?.stringValue?.hasPrefix("3.1") == true)
            let paths = try #require(document["paths"]?.objectValue)
            for (method, path) in Self.routes {
                #expect(paths[path]?[method] != nil, "\(method.uppercased()) \(path) is missing from the document")
            }
            let documented = paths.values.reduce(0) { $0 + ($1.objectValue?.keys.filter { ["get", "post", "put", "patch", "delete"].contains($0) }.count ?? 0) }
            #expect(documented == Self.routes.count, "the document describes routes the server does not have")
            // And every documented route exists: an unknown route would answer 404 with code NOT_FOUND
            // even without a key, while real tenant routes answer 401. The /api/auth routes need no
            // key, so they answer whatever an empty request earns (400, 401, or 404 for an OAuth
            // provider the test server lacks), but never the router's own 404 or 405.
            for (method, path) in Self.routes where path.hasPrefix("/api") {
                let concrete = path.replacingOccurrences(of: "{id}", with: "thg_00000000000000000000000000")
                    .replacingOccurrences(of: "{provider}", with: "google").replacingOccurrences(of: "{key}", with: "level")
                    .replacingOccurrences(of: "{dimension}", with: "things")
                let reply = try await server.api.request(.init(method.uppercased())!, concrete, key: nil, body: method == "get" || method == "delete" ? nil : [:])
                if path.hasPrefix("/api/auth/") {
                    let unrouted = reply.status == .methodNotAllowed
                        || (reply.status == .notFound && reply["error"]?.stringValue?.hasPrefix("no such route") == true)
                    #expect(!unrouted, "\(method.uppercased()) \(path) → \(reply.status) \(reply.text)")
                } else {
                    #expect(reply.status == .unauthorized, "\(method.uppercased()) \(path) → \(reply.status)")
                }
            }
        }
    }
}
