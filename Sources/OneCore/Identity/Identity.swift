/// The account behind a person's memberships: one email, its password and second factor.
///
/// Tenants never see an identity: each group knows the human as a ``Person`` with an ID of its
/// own. Only the identity's owner reads it, through `/api/auth`.
public struct Identity: Sendable, Equatable {
    public var id: String
    public var email: String
    public var name: String?
    /// bcrypt; `nil` for accounts made by invitation, magic link or OAuth until a password is set.
    public var passwordHash: String?
    public var emailVerifiedAt: Timestamp?
    public var twoFactor: TwoFactor?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        id: String, email: String, name: String? = nil, passwordHash: String? = nil, emailVerifiedAt: Timestamp? = nil,
        twoFactor: TwoFactor? = nil, createdAt: Timestamp, updatedAt: Timestamp
    ) {
        self.id = id
        self.email = email
        self.name = name
        self.passwordHash = passwordHash
        self.emailVerifiedAt = emailVerifiedAt
        self.twoFactor = twoFactor
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Whether sign-in needs a second step.
    public var requiresSecondFactor: Bool { twoFactor?.enabled == true }
}

/// An identity's TOTP second factor (RFC 6238), pending until a first code proves it is set up.
public struct TwoFactor: Codable, Sendable, Equatable {
    /// The shared key; the authenticator app holds it as base 32.
    public var secret: String
    public var enabled: Bool
    /// SHA-256 digests of the unused backup codes.
    public var backupCodeHashes: [String]
    /// The last time step a code was accepted for, so no code works twice.
    public var lastStep: Int64?

    public init(secret: String, enabled: Bool, backupCodeHashes: [String], lastStep: Int64? = nil) {
        self.secret = secret
        self.enabled = enabled
        self.backupCodeHashes = backupCodeHashes
        self.lastStep = lastStep
    }
}

extension TwoFactor {
    /// As stored: a JSON object.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "secret": .string(secret), "enabled": .bool(enabled), "backupCodeHashes": .init(backupCodeHashes),
        ]
        object["lastStep"] = lastStep.map { .integer($0) }
        return .object(object)
    }

    /// From its stored JSON; throws when the stored value is not one.
    public init(json: JSONValue) throws(OneError) {
        guard let object = json.objectValue, case .string(let secret)? = object["secret"],
            case .bool(let enabled)? = object["enabled"], let hashes = object["backupCodeHashes"]?.stringArray
        else { throw OneError(.internal, "a stored second factor is malformed") }
        var lastStep: Int64?
        if case .integer(let step)? = object["lastStep"] { lastStep = step }
        self.init(secret: secret, enabled: enabled, backupCodeHashes: hashes, lastStep: lastStep)
    }
}
