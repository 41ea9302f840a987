import HTTPTypes
import OneCore
import Testing

@Suite("Ontology extensions")
struct OntologyRoutesTests {
    @Test("a feature ontology's types are creatable only where it is loaded", arguments: TestStore.available)
    func featureOntology(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let tenant = try await server.makeTenant()
            try await server.expectUnchanged(tenant.groupId) {
                try await server.api.post("/api/things", key: tenant.key, body: ["type": "shopping_cart", "name": "cart"])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "type")
            }
        }
        try await TestServer.run(store, ontologyExtensions: ["shop"]) { server in
            let tenant = try await server.makeTenant()
            try await server.makeThing(tenant, type: "shopping_cart", name: "cart")
            let cart = try await server.makeThing(tenant, type: "shopping_cart", name: "cart 2")
            let product = try await server.makeThing(tenant, type: "product", name: "mug")
            try await server.api.post("/api/connections", key: tenant.key, body: ["fromId": .string(product), "toId": .string(cart), "type": "in_cart"])
                .expect(.created)
        }
    }
}
