/// Field checks shared by the operations; each failure is a 400 naming the field.
public enum Validate {
    /// A required, non-blank text of at most `maxLength` characters, trimmed.
    public static func text(_ value: String?, field: String, maxLength: Int = 500) throws(OneError) -> String {
        guard let value else { throw OneError.validation(field, "\(field) is required") }
        return try optionalText(value, field: field, maxLength: maxLength)!
    }

    /// Like ``text(_:field:maxLength:)`` but `nil` passes through.
    public static func optionalText(_ value: String?, field: String, maxLength: Int = 500) throws(OneError) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw OneError.validation(field, "\(field) must not be blank") }
        guard trimmed.count <= maxLength else {
            throw OneError.validation(field, "\(field) must be at most \(maxLength) characters")
        }
        return trimmed
    }

    /// Free text to search for: no control characters (NUL least of all, which PostgreSQL refuses).
    public static func searchText(_ value: String?, field: String) throws(OneError) -> String? {
        guard let value else { return nil }
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw OneError.validation(field, "\(field) must not contain control characters")
        }
        return value
    }

    /// A list of at most `maxCount` non-blank texts (labels, types), each checked as
    /// ``text(_:field:maxLength:)`` checks one and returned trimmed.
    public static func texts(_ values: [String], field: String, maxCount: Int, maxLength: Int) throws(OneError) -> [String] {
        guard values.count <= maxCount else { throw OneError.validation(field, "\(field) may hold at most \(maxCount) entries") }
        var trimmed: [String] = []
        trimmed.reserveCapacity(values.count)
        for value in values { trimmed.append(try text(value, field: field, maxLength: maxLength)) }
        return trimmed
    }

    /// A JSON object (or nothing, meaning an empty object).
    public static func object(_ value: JSONValue?, field: String) throws(OneError) -> JSONValue {
        guard let value else { return [:] }
        guard case .object = value else {
            throw OneError.validation(field, "\(field) must be a JSON object, not \(value.typeName)")
        }
        return value
    }

    /// An ID of `kind` belonging in this request, or nothing.
    public static func optionalID(_ value: String?, _ kind: IDKind, field: String) throws(OneError) -> String? {
        guard let value else { return nil }
        return try kind.validate(value, field: field)
    }

    /// A plausible email address, lowercased: one `@`, something either side, a dot in the domain.
    public static func email(_ value: String?, field: String = "email") throws(OneError) -> String {
        let email = try text(value, field: field, maxLength: 254).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix("."), !email.contains(where: \.isWhitespace)
        else {
            throw OneError.validation(field, "\(field) must be an email address")
        }
        return email
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var view = self[...]
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
