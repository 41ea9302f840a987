import HTTPTypes
import OneCore
import Testing

@Suite("Knowledge")
struct KnowledgeRoutesTests {
    @Test("create labels and documents, filter by type, label and source, delete", arguments: TestStore.available)
    func lifecycle(store: TestStore) async throws {
        try await TestServer.run(store) { server in
            let api = server.api
            let tenant = try await server.makeTenant()
            let thing = try await server.makeThing(tenant)
            let document = try await api.post(
                "/api/knowledge", key: tenant.key,
                body: ["type": "document", "text": "Swift concurrency in depth", "labels": ["topic:swift", "format:guide"], "sourceThingId": .string(thing), "sourceField": "description"]
            ).expect(.created)
            let documentId = try #require(document["_id"]?.stringValue)
            #expect(documentId.hasPrefix("knw_"))
            let label = try #require(
                try await api.post("/api/knowledge", key: tenant.key, body: ["type": "label", "text": "topic:swift"]).expect(.created)["_id"]?.stringValue)
            #expect(try await api.get("/api/knowledge/\(documentId)", key: tenant.key).okJSON == document)
            // The document was cut into one chunk, linked to it and carrying its labels and source.
            #expect(document["metadata"]?["chunks"] == 1)
            let chunk = try #require(try await api.get("/api/knowledge?type=chunk", key: tenant.key).ids.first)
            #expect(try await api.get("/api/knowledge/\(chunk)", key: tenant.key).okJSON["metadata"]?["documentId"] == .string(documentId))
            #expect(try await api.get("/api/knowledge", key: tenant.key).ids == [label, chunk, documentId])
            #expect(try await api.get("/api/knowledge?type=label", key: tenant.key).ids == [label])
            #expect(try await api.get("/api/knowledge?label=format:guide", key: tenant.key).ids == [chunk, documentId])
            #expect(try await api.get("/api/knowledge?sourceThingId=\(thing)", key: tenant.key).ids == [chunk, documentId])

            try await server.expectUnchanged(tenant.groupId) {
                try await api.post("/api/knowledge", key: tenant.key, body: ["type": "chunk"]).expectError(.badRequest, "VALIDATION_ERROR", field: "text")
                try await api.post("/api/knowledge", key: tenant.key, body: ["type": "poem", "text": "x"]).expectError(.badRequest, "VALIDATION_ERROR", field: "type")
                try await api.post("/api/knowledge", key: tenant.key, body: ["type": "label", "text": "x", "labels": "a"])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "labels")
                let tooMany = JSONValue.array((0...100).map { .string("l\($0)") })
                try await api.post("/api/knowledge", key: tenant.key, body: ["type": "label", "text": "x", "labels": tooMany])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "labels")
                try await api.post("/api/knowledge", key: tenant.key, body: ["type": "label", "text": "x", "labels": ["ok", "  "]])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "labels")
                // A chunk that names a document would be deleted with it: the server alone sets these.
                for reserved in ["documentId", "chunkIndex", "ingest"] {
                    try await api.post(
                        "/api/knowledge", key: tenant.key,
                        body: ["type": "chunk", "text": "x", "metadata": .object([reserved: .string(documentId)])]
                    ).expectError(.badRequest, "VALIDATION_ERROR", field: "metadata.\(reserved)")
                }
                try await api.get("/api/knowledge/knw_00000000000000000000000000", key: tenant.key).expectError(.notFound, "NOT_FOUND")
            }
            try await api.delete("/api/knowledge/\(documentId)", key: tenant.key).expect(.ok)
            try await api.get("/api/knowledge/\(documentId)", key: tenant.key).expectError(.notFound, "NOT_FOUND")
            // Its chunks went with it.
            #expect(try await api.get("/api/knowledge", key: tenant.key).ids == [label])
        }
    }
}
