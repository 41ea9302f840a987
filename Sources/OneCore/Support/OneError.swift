/// The one error type the domain throws. The server maps each ``Code`` to an HTTP status once.
///
/// Messages are written for the API's users: they name the field at fault and never carry SQL,
/// secrets or another tenant's data.
public struct OneError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable error code, sent on the wire as `code`.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let validation = Code(rawValue: "VALIDATION_ERROR")
        public static let invalidJSON = Code(rawValue: "INVALID_JSON")
        public static let invalidID = Code(rawValue: "INVALID_ID")
        public static let invalidCursor = Code(rawValue: "INVALID_CURSOR")
        public static let unauthenticated = Code(rawValue: "UNAUTHENTICATED")
        public static let forbidden = Code(rawValue: "FORBIDDEN")
        public static let notFound = Code(rawValue: "NOT_FOUND")
        public static let conflict = Code(rawValue: "CONFLICT")
        public static let groupArchived = Code(rawValue: "GROUP_ARCHIVED")
        public static let quotaExceeded = Code(rawValue: "QUOTA_EXCEEDED")
        public static let payloadTooLarge = Code(rawValue: "PAYLOAD_TOO_LARGE")
        public static let rateLimited = Code(rawValue: "RATE_LIMITED")
        public static let invalidToken = Code(rawValue: "INVALID_TOKEN")
        public static let emailNotVerified = Code(rawValue: "EMAIL_NOT_VERIFIED")
        public static let alreadyInitialized = Code(rawValue: "ALREADY_INITIALIZED")
        public static let unavailable = Code(rawValue: "UNAVAILABLE")
        /// An AI provider failed or refused a request made for the client.
        public static let providerError = Code(rawValue: "PROVIDER_ERROR")
        /// A WebSocket route asked for without the upgrade.
        public static let upgradeRequired = Code(rawValue: "UPGRADE_REQUIRED")
        public static let `internal` = Code(rawValue: "INTERNAL")
    }

    public let code: Code
    public let message: String
    /// The request field at fault, when there is one.
    public let field: String?
    /// For ``Code/rateLimited``: whole seconds until a retry can succeed.
    public let retryAfter: Int?

    public init(_ code: Code, _ message: String, field: String? = nil, retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func validation(_ field: String, _ message: String) -> OneError {
        OneError(.validation, message, field: field)
    }

    public static func notFound(_ what: String) -> OneError {
        OneError(.notFound, "\(what) not found")
    }

    public static func forbidden(_ message: String) -> OneError {
        OneError(.forbidden, message)
    }

    public static func conflict(_ message: String) -> OneError {
        OneError(.conflict, message)
    }
}
