import Testing

@testable import OneCore

private let base32 = Set("0123456789abcdefghjkmnpqrstvwxyz")
private let hexDigits = Set("0123456789abcdef")

@Suite("APIKeySecret")
struct APIKeySecretTests {
    @Test("generated secrets are gsk_ and 48 base-32 digits, and well formed")
    func generatedShape() {
        for _ in 0..<50 {
            let secret = APIKeySecret.generate()
            #expect(secret.hasPrefix("gsk_"))
            #expect(secret.count == 52)
            #expect(secret.dropFirst(4).allSatisfy { base32.contains($0) }, "\(secret)")
            #expect(APIKeySecret.isWellFormed(secret))
        }
    }

    @Test("generated secrets are distinct")
    func generatedDistinct() {
        let secrets = (0..<1_000).map { _ in APIKeySecret.generate() }
        #expect(Set(secrets).count == secrets.count)
    }

    @Test("generated secrets use the whole alphabet")
    func generatedSpread() {
        // 200 secrets are 9,600 digits: every one of the 32 digits appears with near certainty.
        let digits = (0..<200).flatMap { _ in APIKeySecret.generate().dropFirst(4) }
        #expect(Set(digits) == base32)
    }

    @Test("isWellFormed rejects the wrong prefix or length", arguments: [
        "", "gsk_", "gsk_" + String(repeating: "a", count: 47), "gsk_" + String(repeating: "a", count: 49),
        "gsx_" + String(repeating: "a", count: 48), "GSK_" + String(repeating: "a", count: 48),
        String(repeating: "a", count: 52),
    ])
    func malformed(secret: String) {
        #expect(!APIKeySecret.isWellFormed(secret))
    }

    @Test("hash is 64 lowercase hex digits and stable")
    func hashShape() {
        let secret = APIKeySecret.generate()
        let digest = APIKeySecret.hash(secret)
        #expect(digest.count == 64)
        #expect(digest.allSatisfy { hexDigits.contains($0) })
        #expect(APIKeySecret.hash(secret) == digest)
    }

    @Test("hash is SHA-256 in hex, zero-padded", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ])
    func hashKnownVectors(input: String, expected: String) {
        #expect(APIKeySecret.hash(input) == expected)
    }

    @Test("different secrets hash differently")
    func hashDiffers() {
        let secrets = (0..<200).map { _ in APIKeySecret.generate() }
        #expect(Set(secrets.map(APIKeySecret.hash)).count == secrets.count)
        let one = "gsk_" + String(repeating: "a", count: 48)
        let other = "gsk_" + String(repeating: "a", count: 47) + "b"
        #expect(APIKeySecret.hash(one) != APIKeySecret.hash(other))
    }

    @Test("displayPrefix keeps the first 12 characters")
    func displayPrefix() {
        let secret = "gsk_0123456789abcdefghjkmnpqrstvwxyz0123456789abcdef"
        #expect(APIKeySecret.displayPrefix(secret) == "gsk_01234567")
    }
}
