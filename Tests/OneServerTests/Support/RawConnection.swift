import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

struct ConnectionRefused: Error {}

/// A plain TCP connection to the server, for clients that misbehave below HTTP. Its reads block,
/// so they run on a thread of their own, never on the pool that serves requests.
final class RawConnection: @unchecked Sendable {
    private(set) var descriptor: Int32

    init(port: Int, required: Bool = true) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 {
            // Through hangUp, so deinit (which runs for a class whose init throws once it is
            // fully initialised) does not close the number again: by then another socket
            // (NIO's) may own it.
            hangUp()
            if required { Issue.record("could not connect to the test server") }
            throw ConnectionRefused()
        }
    }

    deinit { hangUp() }

    /// Closes the client's side.
    func hangUp() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    func send(_ text: String) {
        _ = text.withCString { Glibc.send(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }

    func send(bytes: [UInt8]) {
        _ = bytes.withUnsafeBufferPointer { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads until the server closes the connection or `limit` passes; returns what was read and
    /// whether the server closed it.
    func readUntilClosed(limit: Duration) async -> (text: String, closed: Bool) {
        let (bytes, closed) = await readBytesUntilClosed(limit: limit)
        return (String(decoding: bytes, as: UTF8.self), closed)
    }

    /// `readUntilClosed` as bytes, for binary protocols.
    func readBytesUntilClosed(limit: Duration) async -> (bytes: [UInt8], closed: Bool) {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.blockingRead(limit: limit)) }
        }
    }

    /// What arrives within `limit`, without waiting for the connection to close; with `until`,
    /// no longer than it takes for the text received to satisfy it.
    func read(limit: Duration, until done: @escaping @Sendable (String) -> Bool = { _ in false }) async -> String {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let (bytes, _) = self.blockingRead(limit: limit) { done(String(decoding: $0, as: UTF8.self)) }
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    private func blockingRead(limit: Duration, until done: ([UInt8]) -> Bool = { _ in false }) -> (bytes: [UInt8], closed: Bool) {
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let clock = ContinuousClock()
        let start = clock.now
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while clock.now - start < limit {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count == 0 { return (received, true) }
            if count > 0 {
                received += buffer[..<count]
                if done(received) { break }
            }
        }
        return (received, false)
    }
}
