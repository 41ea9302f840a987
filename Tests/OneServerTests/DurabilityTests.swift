import HTTPTypes
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OneCore
import Testing

@Suite("Durability")
struct DurabilityTests {
    @Test("every write acknowledged with 2xx survives SIGKILL of the server right after", arguments: TestStore.available)
    func survivesSigkill(kind: TestStore) async throws {
        try await kind.withFreshStore { store, location in try await survivesSigkill(store: store, kind: kind, location: location) }
    }

    private func survivesSigkill(store: any Store, kind: TestStore, location: String) async throws {
        let storeArguments = kind == .sqlite ? ["--data-dir", location] : ["--database", location]
        let initialised = try JSONValue(jsonText: try OneProcess.run(["init", "--json"] + storeArguments).output)
        let key = try #require(initialised["apiKey"]?.stringValue)
        let groupId = try #require(initialised["groupId"]?.stringValue)
        let (server, port) = kind == .sqlite
            ? try OneProcess.serve(dataDirectory: location) : try OneProcess.serve(database: location)
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let base = URL(string: "http://127.0.0.1:\(port)")!
        try await OneProcess.waitForHealth(port: port)

        // Concurrent writers; the kill lands the instant the last acknowledgement arrives.
        let acknowledged = try await withThrowingTaskGroup(of: [String].self) { group in
            for writer in 0..<8 {
                group.addTask {
                    var ids: [String] = []
                    for index in 0..<40 {
                        var request = URLRequest(url: base.appendingPathComponent("api/things"))
                        request.httpMethod = "POST"
                        request.setValue(key, forHTTPHeaderField: "X-API-Key")
                        request.httpBody = Data(#"{"type":"course","name":"w\#(writer)-\#(index)"}"#.utf8)
                        let (data, response) = try await URLSession.shared.data(for: request)
                        let http = response as? HTTPURLResponse
                        OpenAPIContract.record(
                            method: "POST", path: "/api/things", status: http?.statusCode ?? 0,
                            contentType: http?.value(forHTTPHeaderField: "Content-Type"), body: String(decoding: data, as: UTF8.self),
                            sourceLocation: #_sourceLocation)
                        if http?.statusCode == 201,
                            let id = try JSONValue(jsonText: String(decoding: data, as: UTF8.self))["_id"]?.stringValue
                        {
                            ids.append(id)
                        }
                    }
                    return ids
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        #expect(acknowledged.count == 320)

        var stored: Set<String> = []
        var after: String?
        repeat {
            let page = try await store.things(ThingQuery(groupId: groupId), page: PageRequest(limit: 100, after: after))
            stored.formUnion(page.items.map(\.id))
            after = page.nextAfter
        } while after != nil
        #expect(Set(acknowledged).isSubset(of: stored), "lost \(Set(acknowledged).subtracting(stored).count) acknowledged writes")
        let created = try await store.events(EventQuery(groupId: groupId, type: "thing_created"), page: PageRequest(limit: 1000))
        #expect(created.items.count == stored.count, "every stored thing has its event")
    }
}
