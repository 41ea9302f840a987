#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Milliseconds since the Unix epoch: the time format on the wire and in storage.
public typealias Timestamp = Int64

/// Where the domain reads the time, so tests and replays can fix it.
public struct Clock: Sendable {
    private let read: @Sendable () -> Timestamp

    public init(_ read: @escaping @Sendable () -> Timestamp) { self.read = read }

    public func now() -> Timestamp { read() }

    /// The wall clock.
    public static let system = Clock { Timestamp(Date().timeIntervalSince1970 * 1000) }
}
