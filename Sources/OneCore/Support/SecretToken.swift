import Crypto

/// Random bearer secrets (session tokens, mailed links, challenges) and the digest stored in
/// their place.
///
/// The secrets come from the system CSPRNG and carry 240 bits, so a fast digest is as safe to
/// store as a slow password hash, and an index on it makes each lookup one probe.
public enum SecretToken {
    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")

    /// `prefix` and `length` random base-32 digits.
    public static func generate(prefix: String = "", length: Int = 48) -> String {
        var generator = SystemRandomNumberGenerator()
        return prefix + String((0..<length).map { _ in alphabet[Int(generator.next() % 32)] })
    }

    /// The hex SHA-256 digest stored for a secret.
    public static func hash(_ secret: String) -> String {
        hex(SHA256.hash(data: Array(secret.utf8)))
    }

    /// Lowercase hex of `bytes`.
    public static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        for byte in bytes {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
