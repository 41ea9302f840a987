import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OneCore
import Testing

/// The `one` executable, run as a separate process for CLI and crash tests.
struct OneProcess {
    /// The built `one` binary, next to the test bundle.
    static var executable: URL {
        get throws {
            let candidates = [
                URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("one"),
                Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("one"),
                URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug/one"),
            ]
            return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }, "the one executable was not built")
        }
    }

    /// Runs `one` with `arguments` to completion: exit status, standard output and standard error.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = try executable
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    /// Starts `one serve` in the background on a random loopback port, on the embedded store
    /// in `dataDirectory` or on the PostgreSQL `database`. Standard output goes to `output`.
    static func serve(
        dataDirectory: String? = nil, database: String? = nil, output: Pipe? = nil, extra: [String] = []
    ) throws -> (process: Process, port: Int) {
        // Below Linux's ephemeral range (32768–60999), where the suite's own outgoing
        // connections could already hold the port.
        let port = Int.random(in: 20_000...32_000)
        let process = Process()
        process.executableURL = try executable
        var arguments = ["serve", "--port", String(port), "--log-level", "warning"]
        if let dataDirectory { arguments += ["--data-dir", dataDirectory] }
        if let database { arguments += ["--database", database] }
        process.arguments = arguments + extra
        process.standardOutput = output ?? FileHandle.nullDevice
        // A node that cannot start says why in the test log.
        process.standardError = FileHandle.standardError
        try process.run()
        return (process, port)
    }

    /// Waits until `GET /health` answers 200 on `port`: up to 30 s, as the full suite loads the machine.
    static func waitForHealth(port: Int) async throws {
        let url = URL(string: "http://127.0.0.1:\(port)/health")!
        for _ in 0..<300 {
            if let (_, response) = try? await URLSession.shared.data(from: url), (response as? HTTPURLResponse)?.statusCode == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the server on port \(port) did not start")
    }

    /// One HTTP request to a running server: status and JSON body.
    static func request(
        port: Int, _ method: String, _ path: String, key: String, body: JSONValue? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (status: Int, json: JSONValue) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.setValue(key, forHTTPHeaderField: "X-API-Key")
        if let body { request.httpBody = Data(body.jsonText().utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let text = String(decoding: data, as: UTF8.self)
        let http = response as? HTTPURLResponse
        OpenAPIContract.record(
            method: method, path: path, status: http?.statusCode ?? 0, contentType: http?.value(forHTTPHeaderField: "Content-Type"),
            body: text, sourceLocation: sourceLocation)
        return (http?.statusCode ?? 0, (try? JSONValue(storedText: text)) ?? .null)
    }

    /// Runs `one serve` until it answers `/health`, stops it with SIGTERM, and returns what it printed.
    static func serveOutput(dataDirectory: String) async throws -> String {
        let output = Pipe()
        let (process, port) = try serve(dataDirectory: dataDirectory, output: output)
        try await waitForHealth(port: port)
        process.terminate()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// A temporary directory for one test.
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("one-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
