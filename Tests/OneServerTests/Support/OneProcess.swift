import Foundation
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

    /// Starts `one serve` in the background on a free loopback port.
    static func serve(dataDirectory: String) throws -> (process: Process, port: Int) {
        let port = Int.random(in: 20_000...60_000)
        let process = Process()
        process.executableURL = try executable
        process.arguments = ["serve", "--data-dir", dataDirectory, "--port", String(port), "--log-level", "warning"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, port)
    }

    /// Runs `one serve` on a fresh port for `duration`, stops it with SIGTERM, and returns what it printed.
    static func serveOutput(dataDirectory: String, for duration: Duration) async throws -> String {
        let process = Process()
        process.executableURL = try executable
        process.arguments = ["serve", "--data-dir", dataDirectory, "--port", String(Int.random(in: 20_000...60_000)), "--log-level", "error"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        try await Task.sleep(for: duration)
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
