import ArgumentParser
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct RealtimeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "realtime-bench",
        abstract: "Load for the realtime WebSocket API: push latency and throughput, or many idle subscribers.",
        discussion: """
            All connections share one event-loop thread, so the client stays cheap beside the server.
            Progress goes to standard error; results to standard output.
            """,
        subcommands: [Latency.self, Hold.self])
}

struct ConnectionOptions: ParsableArguments {
    @Option(help: "Server address.") var host: String = "127.0.0.1"
    @Option(help: "Server port.") var port: Int
    @Option(help: "API key (gsk_…) sent as X-API-Key.") var key: String
    @Option(help: "WebSocket connections to open, one subscription each.") var subscribers: Int
    @Option(name: .customLong("query-type"), help: "The thing type listed, and written by `latency`.")
    var queryType: String = "course"
    @Option(help: "The list query's limit.") var limit: Int = 20
    @Option(help: "Connections handshaking at once while opening.") var batch: Int = 200
    @Option(name: .customLong("ready-timeout"), help: "Seconds a subscriber may take to get its initial result.")
    var readyTimeout: Int = 60
    @Option(name: .customLong("max-frame-size"), help: "Largest server message accepted, in bytes.")
    var maxFrameSize: Int = 16 << 20
    @Option(help: "The WebSocket endpoint.") var path: String = "/api/realtime"

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        guard subscribers >= 1 else { throw ValidationError("--subscribers must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard readyTimeout >= 1 else { throw ValidationError("--ready-timeout must be at least 1") }
        guard (125...Int(UInt32.max)).contains(maxFrameSize) else { throw ValidationError("--max-frame-size is out of range") }
    }

    func settings(subscribe: String) -> Settings {
        Settings(
            host: host, port: port, apiKey: key, path: path, subscribeMessage: subscribe, queryType: queryType,
            maxFrameSize: maxFrameSize, readyTimeout: .seconds(Int64(readyTimeout)))
    }

    var listSubscription: String {
        #"{"type":"subscribe","id":"s1","query":"things.list","args":{"type":"\#(jsonEscaped(queryType))","limit":\#(limit)}}"#
    }

    func getSubscription(_ id: String) -> String {
        #"{"type":"subscribe","id":"s1","query":"things.get","args":{"id":"\#(jsonEscaped(id))"}}"#
    }
}

func jsonEscaped(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// Opens the subscribers; exits with status 1 when any of them failed.
func openSubscribers(_ coordinator: Coordinator, count: Int, batch: Int) throws {
    log("opening \(count) subscribers, \(batch) at a time")
    let summary = try coordinator.eventLoop.flatSubmit { coordinator.open(count: count, window: batch) }.wait()
    guard summary.failed == 0 else {
        log("\(summary.failed) of \(count) subscribers failed; \(summary.ready) ready")
        for (reason, n) in summary.reasons.prefix(5) { log("  \(n)x \(reason)") }
        throw ExitCode(1)
    }
}

struct Latency: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Push latency after each write (closed loop), then push throughput under back-to-back writes.",
        discussion: """
            Prints one JSON line: {"subscribers","writes","p50_ms","p99_ms","max_ms","missed",
            "pushes_per_s","burst_writes_per_s",…}. A latency sample is, per subscriber and write, the time
            from just before the POST is written to the first result frame read after it.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Writes in the latency phase.") var writes: Int = 200
    @Option(name: .customLong("timeout-ms"), help: "How long a write waits for every subscriber's push.")
    var timeoutMillis: Int = 2000
    @Option(name: .customLong("pause-ms"), help: "Pause between latency writes.") var pauseMillis: Int = 5
    @Option(name: .customLong("burst-seconds"), help: "Length of the throughput phase (0 skips it).")
    var burstSeconds: Double = 5
    @Option(name: .customLong("burst-connections"), help: "Keep-alive connections writing back to back.")
    var burstConnections: Int = 4

    func validate() throws {
        guard writes >= 0 else { throw ValidationError("--writes must not be negative") }
        guard timeoutMillis >= 1, pauseMillis >= 0 else { throw ValidationError("--timeout-ms and --pause-ms are out of range") }
        guard burstSeconds >= 0, burstConnections >= 1 else { throw ValidationError("--burst-seconds or --burst-connections is out of range") }
    }

    func run() throws {
        exitOnTermination()
        raiseOpenFileLimit()
        let settings = connection.settings(subscribe: connection.listSubscription)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let coordinator = Coordinator(eventLoop: loop, settings: settings)
        try openSubscribers(coordinator, count: connection.subscribers, batch: connection.batch)

        // One keep-alive connection for the closed loop, connected and warmed by a first write
        // whose pushes are left to drain before timing starts.
        let poster = try loop.submit { HTTPPoster(id: 0, group: group, eventLoop: loop, settings: settings) }.wait()
        let writes = self.writes, subscribers = connection.subscribers
        let warm = try loop.flatSubmit { coordinator.reserveLatencies(writes * subscribers); return poster.post() }.wait()
        guard warm.code < 300 else {
            log("the warm-up POST /api/things answered HTTP \(warm.code)")
            throw ExitCode(1)
        }
        usleep(500_000)

        log("latency: \(writes) writes, \(subscribers) subscribers")
        let timeout = TimeAmount.milliseconds(Int64(timeoutMillis))
        for index in 0..<writes {
            try loop.flatSubmit { coordinator.latencyRound(poster: poster, timeout: timeout) }.wait()
            if pauseMillis > 0 { usleep(UInt32(pauseMillis) * 1000) }
            if (index + 1) % 50 == 0 { log("  \(index + 1)/\(writes) writes") }
        }
        let latency = try loop.submit { coordinator.latencySummary() }.wait()
        let sorted = latency.samples.sorted()
        log("latency: \(sorted.count) pushes timed, \(latency.missed) missed, \(latency.writeErrors) writes refused")

        var burst = BurstSummary(seconds: 0, writes: 0, writeErrors: 0, pushes: 0)
        if burstSeconds > 0 {
            usleep(200_000)
            let posters = try loop.submit {
                (1...burstConnections).map { HTTPPoster(id: $0, group: group, eventLoop: loop, settings: settings) }
            }.wait()
            log("burst: \(jsonNumber(burstSeconds)) s of back-to-back writes on \(burstConnections) connections")
            let duration = TimeAmount.nanoseconds(Int64(burstSeconds * 1e9))
            burst = try loop.flatSubmit { coordinator.burst(duration: duration, posters: posters) }.wait()
            log("burst: \(burst.writes) writes, \(burst.pushes) pushes in \(jsonNumber(burst.seconds)) s, \(burst.writeErrors) writes refused")
            try loop.submit { for p in posters { p.close() } }.wait()
        }
        let closed = try loop.submit { coordinator.latencySummary().closed }.wait()
        try loop.submit { poster.close() }.wait()

        let perSecond = { (count: Int) in burst.seconds > 0 ? Double(count) / burst.seconds : 0 }
        let fields: [(String, String)] = [
            ("subscribers", String(subscribers)),
            ("writes", String(writes)),
            ("p50_ms", jsonNumber(percentileMillis(sorted, 50))),
            ("p99_ms", jsonNumber(percentileMillis(sorted, 99))),
            ("max_ms", jsonNumber(sorted.last.map { Double($0) / 1_000_000 } ?? 0)),
            ("missed", String(latency.missed)),
            ("pushes_per_s", jsonNumber(perSecond(burst.pushes))),
            ("burst_writes_per_s", jsonNumber(perSecond(burst.writes))),
            ("write_errors", String(latency.writeErrors + burst.writeErrors)),
            ("server_errors", String(latency.serverErrors)),
            ("closed", String(closed)),
        ]
        emit("{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}")
        try? loop.submit { coordinator.stop() }.wait()
        try? group.syncShutdownGracefully()
    }
}

struct Hold: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open idle subscribers, print `ready N`, and hold them (answering pings) until stdin ends or SIGTERM.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Subscribe to things.get on this thing id instead of the list query.") var thing: String?

    func run() throws {
        exitOnTermination()
        let limit = raiseOpenFileLimit()
        if limit < UInt64(connection.subscribers) + 64 {
            log("warning: RLIMIT_NOFILE is \(limit), too low for \(connection.subscribers) connections")
        }
        let subscribe = thing.map(connection.getSubscription) ?? connection.listSubscription
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let coordinator = Coordinator(eventLoop: loop, settings: connection.settings(subscribe: subscribe))
        try openSubscribers(coordinator, count: connection.subscribers, batch: connection.batch)
        emit("ready \(connection.subscribers)")
        waitForStandardInputEOF()
        let closed = try loop.submit { coordinator.latencySummary().closed }.wait()
        log("stdin closed; \(closed) of \(connection.subscribers) subscribers had been closed by the server")
        try? loop.submit { coordinator.stop() }.wait()
        try? group.syncShutdownGracefully()
    }
}
