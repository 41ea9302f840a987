import HummingbirdBcrypt
import NIOPosix
import OneCore

/// bcrypt, run on NIO's blocking thread pool so a hash (a quarter of a second at cost 12) never
/// holds an event loop or a cooperative thread.
struct PasswordHasher: Sendable {
    let cost: UInt8
    /// A hash of nothing anyone knows, checked when an email has no password, so a sign-in
    /// takes as long whether or not the account exists.
    let decoy: String

    init(cost: UInt8) {
        self.cost = cost
        self.decoy = Bcrypt.hash(SecretToken.generate(), cost: cost)
    }

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` matches `hash`; with no hash, checks the decoy and answers false.
    func verify(_ password: String, hash: String?) async throws -> Bool {
        let target = hash ?? decoy
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: target) }
        return matches && hash != nil
    }

    /// Length rules: 8 to 72 bytes (bcrypt reads no further), not only spaces.
    static func validate(_ password: String?, field: String = "password") throws(OneError) -> String {
        guard let password else { throw OneError.validation(field, "\(field) is required") }
        guard password.count >= 8 else { throw OneError.validation(field, "\(field) must be at least 8 characters") }
        guard password.utf8.count <= 72 else { throw OneError.validation(field, "\(field) must be at most 72 bytes") }
        guard password.contains(where: { !$0.isWhitespace }) else {
            throw OneError.validation(field, "\(field) must not be only spaces")
        }
        guard !password.contains("\u{0}") else { throw OneError.validation(field, "\(field) must not contain NUL characters") }
        return password
    }
}
