/// An API key's secret: `gsk_` and 48 random base-32 digits (240 bits), shown once.
///
/// Stored only as its SHA-256 digest. The secret is random and long, so a fast digest is as
/// safe as a slow password hash here, and an index on the digest makes each lookup one probe.
public enum APIKeySecret {
    static let prefix = "gsk_"
    static let length = 48

    public static func generate() -> String { SecretToken.generate(prefix: prefix, length: length) }

    /// Whether `secret` has the shape of a key; cheap, checked before any hashing.
    public static func isWellFormed(_ secret: String) -> Bool {
        secret.utf8.count == prefix.utf8.count + length && secret.hasPrefix(prefix)
    }

    /// The hex SHA-256 digest stored for a secret.
    public static func hash(_ secret: String) -> String { SecretToken.hash(secret) }

    /// The first characters, kept in clear so people can tell keys apart.
    static func displayPrefix(_ secret: String) -> String { String(secret.prefix(12)) }
}
