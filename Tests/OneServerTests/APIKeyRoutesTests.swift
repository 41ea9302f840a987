import Foundation
import HTTPTypes
import OneCore
import Testing

@Suite("API keys and authentication")
struct APIKeyRoutesTests {
    @Test("a key is shown once, listed without secrets, and stops working the moment it is revoked", arguments: TestStore.available)
    func createListRevoke(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let created = try await api.post("/api/keys", key: tenant.key, body: ["name": "ci", "role": "group_user"]).expect(.created)
            let secret = try #require(created["key"]?.stringValue)
            let keyId = try #require(created["apiKeyId"]?.stringValue)
            #expect(secret.hasPrefix("gsk_"))
            #expect(created["_id"]?.stringValue == keyId)
            #expect(created["role"] == "group_user")
            try await api.get("/api/things", key: secret).expect(.ok)

            let listed = try await api.get("/api/keys", key: tenant.key)
            #expect(listed.ids.contains(keyId))
            #expect(!listed.json.jsonText().contains(secret), "the list never shows a secret")
            #expect(!listed.json.jsonText().contains(String(secret.dropFirst(12))))

            let revoked = try await api.delete("/api/keys/\(keyId)", key: tenant.key).expect(.ok)
            #expect(revoked["status"] == "revoked")
            try await api.get("/api/things", key: secret).expectError(.unauthorized, "UNAUTHENTICATED")
            try await api.delete("/api/keys/\(keyId)", key: tenant.key).expectError(.conflict, "CONFLICT")
        }
    }

    @Test("missing, malformed, unknown and expired keys get 401; public routes need none", arguments: TestStore.available)
    func authentication(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            try await api.get("/api/things", key: nil).expectError(.unauthorized, "UNAUTHENTICATED")
            try await api.get("/api/things", key: "hello").expectError(.unauthorized, "UNAUTHENTICATED")
            try await api.get("/api/things", key: APIKeySecret.generate()).expectError(.unauthorized, "UNAUTHENTICATED")
            try await api.post("/api/things", key: nil, body: ["type": "course", "name": "x"]).expectError(.unauthorized, "UNAUTHENTICATED")
            try await api.get("/health", key: nil).expect(.ok)

            let soon = server.service.clock.now() + 8_000
            let expiring = try await server.makeKey(in: server.platform.groupId, role: .groupUser, extra: ["expiresAt": .number(Double(soon))])
            try await api.get("/api/things", key: expiring.key).expect(.ok)
            try await Task.sleep(for: .milliseconds(8_200))
            try await api.get("/api/things", key: expiring.key).expectError(.unauthorized, "UNAUTHENTICATED")
            try await api.post("/api/keys", key: server.platform.key, body: ["name": "past", "expiresAt": 1000])
                .expectError(.badRequest, "VALIDATION_ERROR", field: "expiresAt")
        }
    }

    @Test("a key past its rate limit gets 429 with Retry-After", arguments: TestStore.available)
    func rateLimit(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let limited = try await server.makeKey(
                in: server.platform.groupId, role: .groupUser, extra: ["rateLimit": ["requests": 1, "burst": 3]])
            for _ in 0..<3 { try await server.api.get("/api/things", key: limited.key).expect(.ok) }
            let refused = try await server.api.get("/api/things", key: limited.key)
            refused.expectError(.tooManyRequests, "RATE_LIMITED")
            let retryAfter = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...60).contains(retryAfter))
            // Other keys are not affected.
            try await server.api.get("/api/things", key: server.platform.key).expect(.ok)
            try await server.api.post("/api/keys", key: server.platform.key, body: ["name": "x", "rateLimit": ["requests": 0, "burst": 1]])
                .expectError(.badRequest, "VALIDATION_ERROR", field: "rateLimit.requests")
            try await server.api.post("/api/keys", key: server.platform.key, body: ["name": "x", "rateLimit": ["requests": 10, "burst": 1, "per": "hour"]])
                .expectError(.badRequest, "VALIDATION_ERROR", field: "rateLimit.per")
        }
    }
}
