import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic nanoseconds; what every latency in this tool is measured in.
@inline(__always)
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// Writes straight to a descriptor: no buffering to flush, and no global `stdout`/`stderr`
/// (which Swift 6 rejects as shared mutable state).
private func writeAll(_ fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 {
                offset += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}

/// Progress and diagnostics.
func log(_ message: String) { writeAll(2, "realtime-bench: \(message)\n") }

/// The result lines (`ready N`, the JSON line).
func emit(_ line: String) { writeAll(1, line + "\n") }

/// Raises the soft RLIMIT_NOFILE to the hard limit: 10,000 connections need more than the usual 1,024.
@discardableResult
func raiseOpenFileLimit() -> UInt64 {
    var limit = rlimit()
    #if canImport(Glibc)
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    let resource = RLIMIT_NOFILE
    #endif
    guard getrlimit(resource, &limit) == 0 else { return 0 }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        if setrlimit(resource, &limit) != 0 {
            log("could not raise RLIMIT_NOFILE to \(limit.rlim_max) (errno \(errno))")
        }
        _ = getrlimit(resource, &limit)
    }
    return UInt64(limit.rlim_cur)
}

/// SIGTERM and SIGINT end the process at once with status 0; the kernel closes the sockets.
func exitOnTermination() {
    signal(SIGTERM) { _ in _exit(0) }
    signal(SIGINT) { _ in _exit(0) }
    // A server that goes away must not kill us with SIGPIPE (NIO sets MSG_NOSIGNAL, but be sure).
    signal(SIGPIPE, SIG_IGN)
}

/// Blocks the calling thread until standard input reaches end of file (or fails).
func waitForStandardInputEOF() {
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if n > 0 { continue }
        if n < 0 && errno == EINTR { continue }
        return
    }
}

/// Nearest-rank percentile of sorted samples (nanoseconds) in milliseconds.
func percentileMillis(_ sorted: [UInt64], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
    let index = min(max(rank - 1, 0), sorted.count - 1)
    return Double(sorted[index]) / 1_000_000
}

/// A number for the JSON line: finite, three decimals.
func jsonNumber(_ value: Double) -> String {
    guard value.isFinite else { return "null" }
    let scaled = (value * 1000).rounded() / 1000
    if scaled == scaled.rounded() && abs(scaled) < 1e15 { return String(Int64(scaled)) }
    return String(scaled)
}

/// What a server message is, read from its top-level `"type"` member without decoding the rest:
/// the client has to stay cheap while 1,000 sockets receive the same push.
enum MessageKind: Equatable {
    case result
    case error
    case other
}

func messageKind(_ message: ByteBuffer) -> MessageKind {
    message.withUnsafeReadableBytes { bytes in
        // The server writes `{"type":"result",…}`: recognise that without scanning.
        if startsWith(bytes, resultPrefix) { return .result }
        if startsWith(bytes, errorPrefix) { return .error }
        guard let type = topLevelStringMember(bytes, key: typeKey) else { return .other }
        if type.elementsEqual("result".utf8) { return .result }
        if type.elementsEqual("error".utf8) { return .error }
        return .other
    }
}

private let resultPrefix = Array(#"{"type":"result""#.utf8)
private let errorPrefix = Array(#"{"type":"error""#.utf8)
private let typeKey = Array("type".utf8)

private func startsWith(_ bytes: UnsafeRawBufferPointer, _ prefix: [UInt8]) -> Bool {
    bytes.count >= prefix.count && bytes.prefix(prefix.count).elementsEqual(prefix)
}

/// The raw (still escaped) value of a string member `key` of the outermost JSON object, if any.
/// A small scanner that tracks nesting and strings; it does not validate the JSON.
func topLevelStringMember(_ bytes: UnsafeRawBufferPointer, key: [UInt8]) -> UnsafeRawBufferPointer.SubSequence? {
    let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    var depth = 0
    var expectKey = false  // at depth 1, the next string is a member name
    var keyMatches = false  // the member being read is `key`
    var afterColon = false  // at depth 1, the next token is the member's value
    var i = 0
    while i < bytes.count {
        let c = bytes[i]
        switch c {
        case quote:
            let start = i + 1
            i += 1
            while i < bytes.count && bytes[i] != quote {
                if bytes[i] == backslash { i += 1 }
                i += 1
            }
            guard i <= bytes.count else { return nil }
            let string = bytes[start..<min(i, bytes.count)]
            if depth == 1 {
                if expectKey {
                    keyMatches = string.elementsEqual(key)
                    expectKey = false
                } else if afterColon {
                    if keyMatches { return string }
                    afterColon = false
                }
            }
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            if depth == 1 { afterColon = false }
            depth += 1
            if c == UInt8(ascii: "{") && depth == 1 { expectKey = true }
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
        case UInt8(ascii: ","):
            if depth == 1 {
                expectKey = true
                keyMatches = false
                afterColon = false
            }
        case UInt8(ascii: ":"):
            if depth == 1 { afterColon = true }
        default:
            break
        }
        i += 1
    }
    return nil
}
