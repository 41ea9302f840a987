import Foundation
import HummingbirdTesting
import Logging
import OneAuth
import OneCore
import OneServer
import OneSQLite
import Testing

/// Serving defaults: slow and stalled clients are closed, and open connections are capped.
@Suite("Serving limits")
struct ServingLimitsTests {
    func withServer(
        _ configuration: AppConfiguration, _ body: @Sendable (_ port: Int, _ api: API) async throws -> Void
    ) async throws {
        try await TestStore.sqlite.withFreshStore { store, _ in
            let service = OneService(store: store, ontology: try Ontology.base())
            let auth = AuthService(one: service, configuration: TestServer.authConfiguration())
            let app = buildApplication(configuration, service: service, auth: auth)
            try await app.test(.live) { client in
                try await body(try #require(client.port), API(client: client))
            }
        }
    }

    @Test("a client that never finishes its request head is closed after the header timeout")
    func slowHeaders() async throws {
        try await withServer(AppConfiguration(port: 0, logLevel: .warning, headerTimeout: .seconds(1), idleTimeout: .seconds(30))) { port, _ in
            let connection = try RawConnection(port: port)
            connection.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            let start = ContinuousClock.now
            let (_, closed) = await connection.readUntilClosed(limit: .seconds(20))
            #expect(closed)
            // Loose: the full suite loads the machine; without the timeout it would stay open.
            #expect(ContinuousClock.now - start < .seconds(15))
        }
    }

    @Test("a kept-alive connection left unused is closed after the idle timeout, not before")
    func idleConnections() async throws {
        try await withServer(AppConfiguration(port: 0, logLevel: .warning, headerTimeout: .seconds(30), idleTimeout: .seconds(2))) { port, _ in
            let connection = try RawConnection(port: port)
            connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            let start = ContinuousClock.now
            let (text, closed) = await connection.readUntilClosed(limit: .seconds(20))
            #expect(text.hasPrefix("HTTP/1.1 200"))
            #expect(closed)
            // Not before the timeout; the upper bound is loose because the full suite loads the machine.
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(1500) && elapsed < .seconds(15), "closed after \(elapsed)")
        }
    }

    @Test("a connection past the cap is answered 503 and closed; once one closes, new ones are served (one serve --max-connections)")
    func connectionCap() async throws {
        let directory = try OneProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (process, port) = try OneProcess.serve(dataDirectory: directory, extra: ["--max-connections", "2"])
        defer { process.terminate(); process.waitUntilExit() }
        // Probe with connections that close, so none lingers in a slot.
        var healthy = false
        for _ in 0..<100 where !healthy {
            if let probe = try? RawConnection(port: port, required: false) {
                probe.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                healthy = await probe.readUntilClosed(limit: .seconds(2)).text.hasPrefix("HTTP/1.1 200")
            }
            if !healthy { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(healthy)
        do {
            let first = try RawConnection(port: port)
            let second = try RawConnection(port: port)
            // Both accepted connections hold their slots while idle.
            first.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            second.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            try await Task.sleep(for: .milliseconds(300))
            let third = try RawConnection(port: port)
            third.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let refused = await third.readUntilClosed(limit: .seconds(5))
            #expect(refused.text.hasPrefix("HTTP/1.1 503"), "a third connection is refused while two are open")
            #expect(refused.text.contains("UNAVAILABLE") && refused.text.lowercased().contains("retry-after: 1"))
            #expect(refused.closed)
            first.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            _ = await first.readUntilClosed(limit: .seconds(5))
            first.hangUp()
            // The server notices the close a moment after the client does.
            var served = ""
            for _ in 0..<20 where !served.hasPrefix("HTTP/1.1 200") {
                try await Task.sleep(for: .milliseconds(50))
                let next = try RawConnection(port: port)
                next.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                served = await next.readUntilClosed(limit: .seconds(5)).text
            }
            #expect(served.hasPrefix("HTTP/1.1 200"), "served once a slot is free")
        }
    }
}
