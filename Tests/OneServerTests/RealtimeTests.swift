import Foundation
import HTTPTypes
import NIOWebSocket
import OneCore
import OneServer
import Testing

/// Subscriptions over real WebSockets on loopback: initial results, pushes after writes and
/// only then, tenants kept apart, access checked as REST checks it, bursts coalesced.
@Suite("Realtime subscriptions")
struct RealtimeTests {
    @Test("a subscription gets the REST route's body at once, then again after each write that changes it", arguments: TestStore.available)
    func initialAndUpdates(kind: TestStore) async throws {
        try await TestServer.run(kind) { server in
            let tenant = try await server.makeTenant()
            try await server.makeThing(tenant, name: "First")
            let client = RealtimeClient.connect(server, key: tenant.key)
            client.subscribe("s1", "things.list", ["type": "course", "limit": 10])
            let initial = try await client.next()
            #expect(initial["type"]?.stringValue == "result")
            #expect(initial["id"]?.stringValue == "s1")
            let rest = try await server.api.get("/api/things?type=course&limit=10", key: tenant.key).expect(.ok)
            #expect(initial["value"] == rest, "the pushed value is exactly the REST body")
            let firstSequence = try #require(initial["seq"]?.integerValue)

            let id = try await server.makeThing(tenant, name: "Second")
            let update = try await client.next()
            #expect(update.results.first?["_id"]?.stringValue == id)
            #expect(update["value"] == (try await server.api.get("/api/things?type=course&limit=10", key: tenant.key).expect(.ok)))
            #expect(try #require(update["seq"]?.integerValue) > firstSequence)

            client.subscribe("one", "things.get", ["id": .string(id)])
            #expect(try await client.next()["value"]?["name"]?.stringValue == "Second")
            _ = try await server.api.patch("/api/things/\(id)", key: tenant.key, body: ["name": "Renamed"]).expect(.ok)
            let renamed = try await client.next { $0["id"]?.stringValue == "one" }
            #expect(renamed["value"] == (try await server.api.get("/api/things/\(id)", key: tenant.key).expect(.ok)))
        }
    }

    @Test("no push for a write the result does not show, nor for another tenant's write", arguments: TestStore.available)
    func noPushWithoutChange(kind: TestStore) async throws {
        try await TestServer.run(kind) { server in
            let tenant = try await server.makeTenant()
            let other = try await server.makeTenant()
            let client = RealtimeClient.connect(server, key: tenant.key)
            client.subscribe("courses", "things.list", ["type": "course"])
            client.subscribe("timeline", "events.timeline")
            _ = try await client.next()
            _ = try await client.next()

            try await server.makeThing(other, type: "course", name: "Elsewhere")
            _ = try await server.api.post("/api/events", key: other.key, group: other.groupId, body: ["type": "dashboard_viewed"]).expect(.created)
            #expect(await client.receive(within: .milliseconds(800)) == nil, "another tenant's writes pushed nothing")

            try await server.makeThing(tenant, type: "lesson", name: "Not a course")
            let timeline = try await client.next()
            #expect(timeline["id"]?.stringValue == "timeline", "the timeline shows the write")
            #expect(await client.receive(within: .milliseconds(800)) == nil, "the course list did not change, so nothing was pushed")

            try await server.makeThing(tenant, type: "course", name: "A course")
            var pushed: Set<String> = []
            for _ in 0..<2 { pushed.insert(try await client.next()["id"]?.stringValue ?? "") }
            #expect(pushed == ["courses", "timeline"])
        }
    }

    @Test("queries are checked as their REST routes are: forbidden, unknown, malformed, another tenant's", arguments: TestStore.available)
    func refusedQueries(kind: TestStore) async throws {
        try await TestServer.run(kind) { server in
            let tenant = try await server.makeTenant()
            let other = try await server.makeTenant()
            let foreignThing = try await server.makeThing(other)
            let customer = try await server.makeKey(in: tenant.groupId, role: .customer)
            let client = RealtimeClient.connect(server, key: customer.key)

            client.subscribe("t", "events.timeline")
            var error = try await client.next()
            #expect(error["type"]?.stringValue == "error")
            #expect(error["id"]?.stringValue == "t")
            #expect(error["code"]?.stringValue == "FORBIDDEN")

            client.subscribe("u", "things.delete")
            error = try await client.next()
            #expect(error["code"]?.stringValue == "VALIDATION_ERROR")
            #expect(error["field"]?.stringValue == "query")

            client.subscribe("l", "things.list", ["limit": 1000])
            #expect(try await client.next()["field"]?.stringValue == "args.limit")
            client.subscribe("x", "things.list", ["colour": "red"])
            #expect(try await client.next()["field"]?.stringValue == "args.colour")
            client.subscribe("g", "things.get", ["id": .string(foreignThing)])
            #expect(try await client.next()["code"]?.stringValue == "NOT_FOUND")
            client.subscribe("o", "things.list", ["groupId": .string(other.groupId)])
            #expect(try await client.next()["code"]?.stringValue == "NOT_FOUND", "another tenant's group answers as a missing one")
            client.send(text: "not json")
            error = try await client.next()
            #expect(error["code"]?.stringValue == "INVALID_JSON")
            #expect(error["id"] == .null)
            client.send(text: #"{"type": "watch", "id": "w", "query": "things.list"}"#)
            #expect(try await client.next()["field"]?.stringValue == "type")
            client.send(text: #"{"type": "subscribe", "id": "a", "query": "things.list", "args": [1]}"#)
            #expect(try await client.next()["field"]?.stringValue == "args")
            client.subscribe("c", "connections.from", ["id": .string(other.groupId)])
            #expect(try await client.next()["field"]?.stringValue == "args.id")
            // A person's connections, as REST serves them.
            client.subscribe("p", "connections.from", ["id": .string(customer.personId ?? "usr_00000000000000000000000000")])
            #expect(try await client.next()["code"]?.stringValue == "NOT_FOUND")

            client.subscribe("ok", "things.list")
            let result = try await client.next()
            #expect(result["type"]?.stringValue == "result", "the connection still serves after refusals")
            client.subscribe("ok", "things.list")
            #expect(try await client.next()["code"]?.stringValue == "CONFLICT")
            client.unsubscribe("nope")
            #expect(try await client.next()["code"]?.stringValue == "NOT_FOUND")
        }
    }

    @Test("a connection without a valid credential is told why and closed; a plain GET is told to upgrade")
    func unauthenticated() async throws {
        try await TestServer.run { server in
            for client in [RealtimeClient.connect(server), RealtimeClient.connect(server, key: "gsk_not_a_real_key")] {
                let error = try await client.next()
                #expect(error["code"]?.stringValue == "UNAUTHENTICATED")
                let closed = try #require(await client.closed())
                #expect(closed.code == .policyViolation)
            }
            let plain = try await server.api.get("/api/realtime", key: server.platform.key)
            plain.expectError(.init(code: 426), "UPGRADE_REQUIRED")
            try await server.api.get("/api/realtime", key: nil).expectError(.unauthorized, "UNAUTHENTICATED")
        }
    }

    @Test("a browser's ticket opens one connection, once")
    func tickets() async throws {
        try await TestServer.run { server in
            let tenant = try await server.makeTenant()
            let issued = try await server.api.post("/api/realtime/ticket", key: tenant.key, body: [:]).expect(.created)
            let ticket = try #require(issued["ticket"]?.stringValue)
            #expect(ticket.hasPrefix("rtk_"))
            let client = RealtimeClient.connect(server, path: "/api/realtime?ticket=\(ticket)")
            client.subscribe("s", "things.list")
            #expect(try await client.next()["type"]?.stringValue == "result")
            let again = RealtimeClient.connect(server, path: "/api/realtime?ticket=\(ticket)")
            #expect(try await again.next()["code"]?.stringValue == "UNAUTHENTICATED", "a ticket is single-use")
        }
    }

    @Test("a burst of writes coalesces into fewer pushes, and results never go backwards", arguments: TestStore.available)
    func coalescing(kind: TestStore) async throws {
        try await TestServer.run(kind) { server in
            let tenant = try await server.makeTenant()
            let client = RealtimeClient.connect(server, key: tenant.key)
            client.subscribe("s", "things.list", ["limit": 100])
            _ = try await client.next()

            // Writes through this server, all at once: every push shows more, in log order.
            let writes = 40
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<writes {
                    group.addTask { try await server.makeThing(tenant, name: "Burst \(index)") }
                }
                try await group.waitForAll()
            }
            var sequences: [Int] = []
            var shown = 0
            while shown < writes {
                let push = try await client.next()
                sequences.append(try #require(push["seq"]?.integerValue))
                #expect(push.results.count >= shown, "a result never shows fewer things than the one before")
                shown = push.results.count
            }
            #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count, "sequences strictly increase: \(sequences)")
            #expect(sequences.count <= writes)

            // A burst committed elsewhere (another process or node) reaches the hub as one
            // stretch of the log: one re-run, one push, not one per write.
            let elsewhere = OneService(store: server.store, ontology: server.service.ontology)
            let scope = try await elsewhere.scope(for: try await elsewhere.authenticate(secret: tenant.key))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<30 {
                    group.addTask { _ = try await elsewhere.createThing(NewThing(type: "course", name: "Elsewhere \(index)"), in: scope) }
                }
                try await group.waitForAll()
            }
            var pushes = 0
            while shown < writes + 30 {
                shown = try await client.next().results.count
                pushes += 1
            }
            #expect(pushes <= 5, "30 writes found in the log together were pushed \(pushes) times")
            #expect(await client.receive(within: .milliseconds(500)) == nil)
        }
    }

    @Test("a connection holds a bounded number of subscriptions; unsubscribing frees one")
    func subscriptionLimit() async throws {
        try await TestServer.run(realtime: RealtimeConfiguration(maxSubscriptions: 2, pollInterval: .milliseconds(200))) { server in
            let client = RealtimeClient.connect(server, key: server.platform.key)
            client.subscribe("a", "things.list")
            client.subscribe("b", "people.list")
            client.subscribe("c", "knowledge.list")
            var codes: [String] = []
            for _ in 0..<3 { codes.append(try await client.next()["code"]?.stringValue ?? "result") }
            #expect(codes.filter { $0 == "QUOTA_EXCEEDED" }.count == 1)
            client.unsubscribe("a")
            client.subscribe("c", "knowledge.list")
            #expect(try await client.next()["type"]?.stringValue == "result")
        }
    }

    @Test("revoking the key closes its connection; a demotion ends what the person may no longer read", arguments: TestStore.available)
    func revocation(kind: TestStore) async throws {
        try await TestServer.run(kind) { server in
            let tenant = try await server.makeTenant()
            let user = try await server.makeKey(in: tenant.groupId, role: .groupUser)
            let client = RealtimeClient.connect(server, key: user.key)
            client.subscribe("s", "things.list")
            _ = try await client.next()
            _ = try await server.api.delete("/api/keys/\(try #require(user.keyId))", key: tenant.key, group: tenant.groupId).expect(.ok)
            let closed = try #require(await client.closed(), "the revoked key's connection closes")
            #expect(closed.code == .policyViolation)

            let person = try #require(try await server.api.post("/api/people", key: tenant.key, body: ["email": "rt@x.example"]).expect(.created)["_id"]?.stringValue)
            let personal = try await server.makeKey(in: tenant.groupId, role: .groupUser, extra: ["personId": .string(person)])
            let watcher = RealtimeClient.connect(server, key: personal.key)
            watcher.subscribe("timeline", "events.timeline")
            watcher.subscribe("things", "things.list")
            _ = try await watcher.next()
            _ = try await watcher.next()
            _ = try await server.api.patch("/api/people/\(person)", key: tenant.key, body: ["role": "customer"]).expect(.ok)
            let ended = try await watcher.next { $0["type"]?.stringValue == "error" }
            #expect(ended["id"]?.stringValue == "timeline")
            #expect(ended["code"]?.stringValue == "FORBIDDEN", "a customer may not read events")
            try await server.makeThing(tenant, name: "Still visible")
            let still = try await watcher.next()
            #expect(still["id"]?.stringValue == "things", "what a customer may read goes on")
        }
    }

    @Test("a socket without a subscription is closed after the idle timeout")
    func idleTimeout() async throws {
        // 5 s, so that under the full suite's load the busy socket subscribes in time.
        try await TestServer.run(realtime: RealtimeConfiguration(idleTimeout: .seconds(5), pollInterval: .milliseconds(200))) { server in
            let idle = RealtimeClient.connect(server, key: server.platform.key)
            let busy = RealtimeClient.connect(server, key: server.platform.key)
            busy.subscribe("s", "things.list")
            _ = try await busy.next()
            let closed = try #require(await idle.closed(within: .seconds(15)))
            #expect(closed.reason?.hasPrefix("idle") == true)
            #expect(await busy.receive(within: .milliseconds(300)) == nil, "a socket with a subscription stays open")
        }
    }

    @Test("a client that stops reading is closed; the others keep getting every result")
    func slowConsumer() async throws {
        try await TestServer.run { server in
            let tenant = try await server.makeTenant()
            let fast = RealtimeClient.connect(server, key: tenant.key)
            fast.subscribe("s", "things.list", ["limit": 100])
            _ = try await fast.next()
            let slow = try RawConnection(port: server.port)
            slow.send(
                "GET /api/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-API-Key: \(tenant.key)\r\n\r\n")
            slow.send(bytes: WebSocketTestFrame.maskedText(#"{"type":"subscribe","id":"s","query":"things.list","args":{"limit":"100"}}"#))
            let padding = String(repeating: "x", count: 60_000)
            for index in 0..<40 {
                try await server.makeThing(tenant, name: "Large \(index)", properties: ["padding": .string(padding)])
            }
            let latest = try await fast.next(within: .seconds(20)) { $0.results.count == 40 }
            #expect(latest.results.count == 40, "the fast client saw every write")
            try await Task.sleep(for: .seconds(4))
            let read = await slow.readUntilClosed(limit: .seconds(10))
            #expect(read.closed, "the server closed the client that did not read")
            fast.subscribe("t", "people.list")
            #expect(try await fast.next()["id"]?.stringValue == "t", "the fast client is still served")
        }
    }
}

/// Frames a test client writes by hand, for clients that misbehave.
enum WebSocketTestFrame {
    /// A final text frame with a client mask, as RFC 6455 requires of clients.
    static func maskedText(_ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        var frame: [UInt8] = [0x81]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return frame
    }
}
