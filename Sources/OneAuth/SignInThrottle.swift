import OneCore
import Synchronization

/// Holds back password guessing against one account: after three failed sign-ins each next try
/// must wait twice as long as the last (1 s, 2 s, 4 s, …), and after ten the account is locked
/// for fifteen minutes. Keyed by the email asked for, so it answers the same whether or not an
/// account exists. In memory, per node: see README on several nodes.
final class SignInThrottle: Sendable {
    private struct Record {
        var failures: Int
        var lastFailure: Timestamp
    }

    static let freeFailures = 3
    static let lockAfter = 10
    static let lockDuration: Timestamp = 15 * 60 * 1000
    static let capacity = 100_000
    private let records = Mutex<[String: Record]>([:])

    /// Seconds to wait before `email` may try again at `now`, or nil when it may try now.
    func wait(for email: String, now: Timestamp) -> Int? {
        records.withLock { records in
            guard let record = records[email] else { return nil }
            let until = record.lastFailure + Self.delay(afterFailures: record.failures)
            return until > now ? Int((until - now + 999) / 1000) : nil
        }
    }

    func failed(_ email: String, now: Timestamp) {
        records.withLock { records in
            if records[email] == nil {
                records.makeRoom(capacity: Self.capacity) { now - $0.lastFailure >= Self.lockDuration }
            }
            let failures = (records[email]?.failures ?? 0) + 1
            records[email] = Record(failures: failures, lastFailure: now)
        }
    }

    func succeeded(_ email: String) {
        _ = records.withLock { $0.removeValue(forKey: email) }
    }

    /// Milliseconds an account waits after `failures` consecutive failures.
    static func delay(afterFailures failures: Int) -> Timestamp {
        if failures >= lockAfter { return lockDuration }
        if failures < freeFailures { return 0 }
        return 1000 << Timestamp(failures - freeFailures)
    }
}

extension AuthService {
    /// Milliseconds an email must wait after `failures` failed sign-ins in a row.
    public static func signInDelay(afterFailures failures: Int) -> Timestamp { SignInThrottle.delay(afterFailures: failures) }
}
