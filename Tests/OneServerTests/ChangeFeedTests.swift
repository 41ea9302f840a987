import Foundation
import HTTPTypes
import NIOWebSocket
import OneCore
import Testing

/// The change feed (`GET /api/changes`) and the event stream (`GET /api/events/stream`): what
/// sync clients and EventSource rely on to miss nothing and see nothing twice.
@Suite("Change feed and event stream")
struct ChangeFeedTests {
    @Test("paging the change feed while writers run never skips or repeats an event", arguments: TestStore.available)
    func pagingWhileWriting(kind: TestStore) async throws {
        try await TestServer.run(kind) { server in
            let tenant = try await server.makeTenant()
            let other = try await server.makeTenant()
            let writes = 80
            let writer = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<writes {
                        let credentials = index % 4 == 0 ? other : tenant
                        group.addTask { try await server.makeThing(credentials, name: "Write \(index)") }
                        if index % 8 == 7 { try await group.next() }
                    }
                    try await group.waitForAll()
                }
            }
            var seen: [Int] = []
            var after = 0
            var writerDone = false
            while true {
                let page = try await server.api.get("/api/changes?after=\(after)&limit=7", key: tenant.key).expect(.ok)
                let results = try #require(page["results"]?.arrayValue)
                seen += results.compactMap { $0["sequence"]?.integerValue }
                #expect(results.allSatisfy { $0["groupId"]?.stringValue == tenant.groupId }, "only the caller's group")
                after = try #require(page["next"]?.integerValue)
                if results.isEmpty, writerDone { break }
                if results.isEmpty {
                    _ = try await writer.value
                    writerDone = true
                }
            }
            let stored = try await server.store.events(EventQuery(groupId: tenant.groupId), page: PageRequest(limit: 1000)).items
            #expect(seen == stored.map { Int($0.sequence) }, "every event of the group, once, in order")
            #expect(seen.count >= writes * 3 / 4)
            try await server.api.get("/api/changes?after=-1", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "after")
            try await server.api.get("/api/changes?limit=5000", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "limit")
            let customer = try await server.makeKey(in: tenant.groupId, role: .customer)
            try await server.api.get("/api/changes", key: customer.key).expectError(.forbidden, "FORBIDDEN")
        }
    }

    @Test("bad event-stream requests get a plain 400 naming the field, and write nothing", arguments: TestStore.available)
    func badStreamRequests(kind: TestStore) async throws {
        try await TestServer.run(kind) { server in
            let tenant = try await server.makeTenant()
            let customer = try await server.makeKey(in: tenant.groupId, role: .customer)
            try await server.expectUnchanged(tenant.groupId) {
                try await server.api.request(.get, "/api/events/stream", key: tenant.key, headers: [.init("Last-Event-ID")!: "abc"])
                    .expectError(.badRequest, "VALIDATION_ERROR", field: "Last-Event-ID")
                try await server.api.get("/api/events/stream?after=-3", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "after")
                try await server.api.get("/api/events/stream?type=no_such_event", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "type")
                try await server.api.get("/api/events/stream?targetId=nope", key: tenant.key).expectError(.badRequest, "INVALID_ID", field: "targetId")
                try await server.api.get("/api/events/stream", key: customer.key).expectError(.forbidden, "FORBIDDEN")
                try await server.api.get("/api/changes?limit=abc", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "limit")
                try await server.api.get("/api/changes?limit=0", key: tenant.key).expectError(.badRequest, "VALIDATION_ERROR", field: "limit")
            }
        }
    }

    @Test("the event stream resumes from Last-Event-ID with every later event and none twice", arguments: TestStore.available)
    func resume(kind: TestStore) async throws {
        try await TestServer.run(kind) { server in
            let tenant = try await server.makeTenant()
            let other = try await server.makeTenant()
            func log(_ name: String) async throws -> Int {
                let event = try await server.api.post("/api/events", key: tenant.key, body: ["type": "dashboard_viewed", "metadata": ["n": .string(name)]]).expect(.created)
                return try #require(event["sequence"]?.integerValue)
            }
            let first = try await log("a")
            let second = try await log("b")

            var stream = try EventStreamReader(port: server.port, key: tenant.key, lastEventID: first, query: "type=dashboard_viewed")
            var received = try await stream.events(count: 1)
            #expect(received.map(\.id) == [second], "resumes after Last-Event-ID")
            _ = try await server.api.post("/api/events", key: other.key, body: ["type": "dashboard_viewed"]).expect(.created)
            try await server.makeThing(tenant)
            let third = try await log("c")
            received = try await stream.events(count: 1)
            #expect(received.map(\.id) == [third], "live events arrive; other tenants' and other types' do not")
            #expect(received.first?.json["groupId"]?.stringValue == tenant.groupId)
            stream.disconnect()

            let missed = [try await log("d"), try await log("e")]
            stream = try EventStreamReader(port: server.port, key: tenant.key, lastEventID: third, query: "type=dashboard_viewed")
            received = try await stream.events(count: 2)
            #expect(received.map(\.id) == missed, "after a disconnect, exactly the events missed")
            let later = try await log("f")
            #expect(try await stream.events(count: 1).map(\.id) == [later])
            #expect(try await stream.events(count: 1, within: .milliseconds(600)).isEmpty, "nothing twice")
            stream.disconnect()
        }
    }

    @Test("a write through one node is pushed to a subscriber on another; SIGTERM sends subscribers a close frame",
          .enabled(if: TestStore.postgresAdminURL != nil, "ONE_TEST_DATABASE_URL is not set: PostgreSQL runs are skipped"))
    func twoNodes() async throws {
        try await PostgresTestDatabase.withFreshDatabase { url in
            let initialised = try JSONValue(jsonText: try OneProcess.run(["init", "--database", url, "--json"]).output)
            let key = try #require(initialised["apiKey"]?.stringValue)
            let a = try OneProcess.serve(database: url)
            let b = try OneProcess.serve(database: url)
            defer { for node in [a, b] { node.process.terminate(); node.process.waitUntilExit() } }
            try await OneProcess.waitForHealth(port: a.port)
            try await OneProcess.waitForHealth(port: b.port)

            let subscriber = RealtimeClient(port: b.port, headers: [.init("X-API-Key")!: key])
            subscriber.subscribe("s", "things.list", ["type": "course"])
            #expect(try await subscriber.next().results.isEmpty)
            let created = try await OneProcess.request(port: a.port, "POST", "/api/things", key: key, body: ["type": "course", "name": "written on A"])
            #expect(created.status == 201)
            let pushed = try await subscriber.next(within: .seconds(5))
            #expect(pushed.results.first?["_id"] == created.json["_id"], "node B pushed node A's write")

            b.process.terminate()
            let closed = try #require(await subscriber.closed(within: .seconds(10)), "the subscriber saw the socket close")
            #expect(closed.code == .goingAway || closed.code == .normalClosure, "a close frame, not a dropped socket: \(String(describing: closed.code))")
        }
    }
}

/// Reads `GET /api/events/stream` over a raw socket: the SSE events, by id and data.
struct EventStreamReader {
    struct Received {
        let id: Int
        let json: JSONValue
    }

    private let connection: RawConnection
    private var buffered = ""

    init(port: Int, key: String, lastEventID: Int?, query: String) throws {
        connection = try RawConnection(port: port)
        var head = "GET /api/events/stream?\(query) HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: \(key)\r\nAccept: text/event-stream\r\n"
        if let lastEventID { head += "Last-Event-ID: \(lastEventID)\r\n" }
        connection.send(head + "\r\n")
    }

    /// The next `count` events, or fewer if they do not come within `within`.
    mutating func events(count: Int, within: Duration = .seconds(5)) async throws -> [Received] {
        let deadline = ContinuousClock.now + within
        var found: [Received] = []
        while found.count < count, ContinuousClock.now < deadline {
            found += try take()
            if found.count >= count { break }
            let read = await connection.read(limit: .milliseconds(200))
            buffered += read
        }
        return found
    }

    /// Complete events in what was read so far (chunk-size lines of the transfer coding are skipped).
    private mutating func take() throws -> [Received] {
        var found: [Received] = []
        while let end = buffered.range(of: "\n\n") {
            let block = String(buffered[..<end.lowerBound])
            buffered = String(buffered[end.upperBound...])
            var id: Int?
            var data: String?
            // By scalars: the transfer coding's "\r\n" is one Character, which would hide a line break.
            for line in block.unicodeScalars.split(separator: "\n").map(String.init) {
                if line.hasPrefix("id: ") { id = Int(line.dropFirst(4)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            if let id, let data { found.append(Received(id: id, json: try JSONValue(jsonText: data))) }
        }
        return found
    }

    func disconnect() { connection.hangUp() }
}
