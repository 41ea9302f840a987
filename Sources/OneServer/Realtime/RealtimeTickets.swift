import OneCore
import Synchronization

/// Short-lived, single-use tickets for `GET /api/realtime?ticket=…` and
/// `GET /api/events/stream?ticket=…`: a browser cannot set headers on a WebSocket or an
/// EventSource, and a URL must not carry the key or session itself. A ticket stands for the
/// credential that asked for it, by its digest, and is stored only as its own digest.
/// Held in memory: a ticket is redeemed on the node that issued it.
final class RealtimeTickets: Sendable {
    static let prefix = "rtk_"
    static let capacity = 100_000

    private let lifetime: Duration
    private let tickets = Mutex<[String: (credential: CredentialDigest, expiresAt: ContinuousClock.Instant)]>([:])

    init(lifetime: Duration) { self.lifetime = lifetime }

    /// A new ticket for `credential`, and how long it lasts.
    func issue(for credential: CredentialDigest) -> (ticket: String, expiresIn: Duration) {
        let ticket = SecretToken.generate(prefix: Self.prefix, length: 48)
        let now = ContinuousClock.now
        tickets.withLock { tickets in
            tickets.makeRoom(capacity: Self.capacity) { $0.expiresAt <= now }
            tickets[SecretToken.hash(ticket)] = (credential, now + lifetime)
        }
        return (ticket, lifetime)
    }

    /// The credential a ticket stands for, once: the ticket is spent whether or not it is valid.
    func redeem(_ ticket: String) -> CredentialDigest? {
        guard ticket.hasPrefix(Self.prefix), ticket.utf8.count == Self.prefix.utf8.count + 48 else { return nil }
        let now = ContinuousClock.now
        return tickets.withLock { tickets in
            guard let entry = tickets.removeValue(forKey: SecretToken.hash(ticket)), entry.expiresAt > now else { return nil }
            return entry.credential
        }
    }
}
