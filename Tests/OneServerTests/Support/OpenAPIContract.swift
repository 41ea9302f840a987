import Foundation
import OneCore
import Testing

/// The API's OpenAPI document (Sources/OneServer/Resources/openapi.json), read once, and a check
/// of one response against it: the operation for the method and concrete path, the response for
/// the status (exact, then `4XX`-style ranges, then `default`), and its body against the schema.
///
/// The schema check is a JSON Schema subset: `type` (also as an array), `properties`, `required`,
/// `additionalProperties` (boolean or schema), `items`, `enum`, `const`, `pattern`, `minLength`,
/// `maxLength`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `minItems`,
/// `maxItems`, `uniqueItems`, `oneOf`, `anyOf`, `allOf`, `not` and `$ref` (local pointers, with
/// sibling keywords applied too, as 3.1 does). `format` and annotations are ignored.
struct OpenAPIContract: Sendable {
    /// One way a response departs from the document: where (a JSON pointer into the body) and why.
    struct Violation: Sendable, CustomStringConvertible {
        let pointer: String
        let reason: String
        var description: String { "\(pointer.isEmpty ? "/" : pointer): \(reason)" }
    }

    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    /// The document next to the sources, loaded once for the whole test run.
    static let shared: Result<OpenAPIContract, LoadError> = {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Support
            .deletingLastPathComponent()  // OneServerTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package root
            .appendingPathComponent("Sources/OneServer/Resources/openapi.json")
        do {
            let text = try String(contentsOf: url, encoding: .utf8)
            return .success(try OpenAPIContract(document: JSONValue(jsonText: text)))
        } catch {
            return .failure(LoadError(description: "cannot load \(url.path): \(error)"))
        }
    }()

    private struct Operation: Sendable {
        let method: String
        let template: String
        let segments: [String]
        let operation: JSONValue
        /// How many segments are literal: the more, the better a match (`/events/timeline` over `/events/{id}`).
        var literalCount: Int { segments.filter { !$0.hasPrefix("{") }.count }
    }

    let document: JSONValue
    private let operations: [Operation]
    private let patterns = PatternCache()

    init(document: JSONValue) throws {
        self.document = document
        guard let paths = document["paths"]?.objectValue else { throw LoadError(description: "the document has no paths") }
        var operations: [Operation] = []
        for (template, item) in paths {
            for (method, operation) in item.objectValue ?? [:]
            where ["get", "put", "post", "delete", "options", "head", "patch", "trace"].contains(method) {
                operations.append(Operation(
                    method: method, template: template, segments: Self.segments(template), operation: operation))
            }
        }
        self.operations = operations
    }

    private static func segments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// The document's path template for a concrete request path, if any operation has `method` there.
    func template(method: String, path: String) -> String? {
        operation(method: method.lowercased(), path: path)?.template
    }

    private func operation(method: String, path: String) -> Operation? {
        let concrete = Self.segments(String(path.prefix { $0 != "?" && $0 != "#" }))
        return operations
            .filter { operation in
                operation.method == method && operation.segments.count == concrete.count
                    && zip(operation.segments, concrete).allSatisfy { template, segment in
                        template.hasPrefix("{") && template.hasSuffix("}") ? !segment.isEmpty : template == segment
                    }
            }
            .max { $0.literalCount < $1.literalCount }
    }

    /// Checks one response. `contentType` is the response's Content-Type header; `body` its raw
    /// text. Bodies that are not JSON are checked for their media type only.
    func check(method: String, path: String, status: Int, contentType: String?, body: String) -> [Violation] {
        let method = method.lowercased()
        guard let operation = operation(method: method, path: path) else {
            return [Violation(pointer: "", reason: "the document describes no operation \(method.uppercased()) for this path")]
        }
        guard let responses = operation.operation["responses"]?.objectValue else {
            return [Violation(pointer: "", reason: "\(method.uppercased()) \(operation.template) has no responses")]
        }
        let range = "\(status / 100)XX"
        guard let declared = responses[String(status)] ?? responses[range] ?? responses[range.lowercased()] ?? responses["default"] else {
            let known = responses.keys.sorted().joined(separator: ", ")
            return [Violation(pointer: "", reason: "status \(status) is not described for \(method.uppercased()) \(operation.template) (it lists \(known))")]
        }
        var violations: [Violation] = []
        guard let response = resolve(declared, &violations, at: "") else { return violations }
        let content = response["content"]?.objectValue ?? [:]
        let mediaType = contentType.map { String($0.prefix { $0 != ";" }).trimmingCharacters(in: .whitespaces).lowercased() }
        if content.isEmpty {
            if !body.isEmpty { violations.append(Violation(pointer: "", reason: "status \(status) is documented without a body, but one was sent")) }
            return violations
        }
        guard !body.isEmpty else {
            return [Violation(pointer: "", reason: "status \(status) is documented with a body (\(content.keys.sorted().joined(separator: ", "))), but none was sent")]
        }
        guard let mediaType else { return [Violation(pointer: "", reason: "the response has a body but no Content-Type")] }
        guard let media = content[mediaType] ?? content["*/*"] else {
            return [Violation(pointer: "", reason: "Content-Type \(mediaType) is not among the documented \(content.keys.sorted().joined(separator: ", "))")]
        }
        guard mediaType == "application/json" || mediaType.hasSuffix("+json") else { return [] }
        let json: JSONValue
        do {
            json = try JSONValue(storedText: body)
        } catch {
            return [Violation(pointer: "", reason: "the body is not JSON: \(error.message)")]
        }
        guard let schema = media["schema"] else { return [] }
        validate(json, against: schema, at: "", &violations)
        return violations
    }

    /// Checks one response and records an issue (at `sourceLocation`) naming the request, the
    /// status and every violation.
    ///
    /// `undocumented` marks a deliberate probe of a route the API does not have: then the document
    /// must not describe it, and the answer must be a 404 or 405 in the error shape.
    static func record(
        method: String, path: String, status: Int, contentType: String?, body: String, undocumented: Bool = false,
        sourceLocation: SourceLocation
    ) {
        switch shared {
        case .failure(let error):
            Issue.record("OpenAPI contract unavailable: \(error)", sourceLocation: sourceLocation)
        case .success(let contract):
            let violations = undocumented
                ? contract.checkUndocumented(method: method, path: path, status: status, contentType: contentType, body: body)
                : contract.check(method: method, path: path, status: status, contentType: contentType, body: body)
            guard !violations.isEmpty else { return }
            let list = violations.prefix(20).map { "  - \($0)" }.joined(separator: "\n")
            let more = violations.count > 20 ? "\n  … and \(violations.count - 20) more" : ""
            Issue.record(
                "OpenAPI contract: \(method) \(path) → \(status) departs from the document:\n\(list)\(more)",
                sourceLocation: sourceLocation)
        }
    }

    /// Checks the answer to a request the document deliberately does not describe (an unknown
    /// route, or a method a path does not have): 404 or 405, with the API's error body.
    func checkUndocumented(method: String, path: String, status: Int, contentType: String?, body: String) -> [Violation] {
        if let operation = operation(method: method.lowercased(), path: path) {
            return [Violation(pointer: "", reason: "the document describes \(method.uppercased()) \(operation.template); this request is not undocumented")]
        }
        guard status == 404 || status == 405 else {
            return [Violation(pointer: "", reason: "an undocumented route answered \(status), not 404 or 405")]
        }
        let mediaType = contentType.map { String($0.prefix { $0 != ";" }).trimmingCharacters(in: .whitespaces).lowercased() }
        guard mediaType == "application/json" else {
            return [Violation(pointer: "", reason: "an undocumented route answered with Content-Type \(mediaType ?? "none"), not application/json")]
        }
        let json: JSONValue
        do {
            json = try JSONValue(storedText: body)
        } catch {
            return [Violation(pointer: "", reason: "the body is not JSON: \(error.message)")]
        }
        var violations: [Violation] = []
        validate(json, against: ["$ref": "#/components/schemas/Error"], at: "", &violations)
        return violations
    }

    // MARK: References

    /// Follows `$ref` chains on an object that is only a reference (responses, parameters).
    private func resolve(_ value: JSONValue, _ violations: inout [Violation], at pointer: String) -> JSONValue? {
        var current = value
        var seen: Set<String> = []
        while let reference = current["$ref"]?.stringValue {
            guard seen.insert(reference).inserted else {
                violations.append(Violation(pointer: pointer, reason: "circular $ref \(reference)"))
                return nil
            }
            guard let target = lookUp(reference) else {
                violations.append(Violation(pointer: pointer, reason: "unresolvable $ref \(reference)"))
                return nil
            }
            current = target
        }
        return current
    }

    /// The value at a local reference such as `#/components/schemas/Thing`.
    func lookUp(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var node = document
        for token in reference.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch node {
            case .object(let members):
                guard let next = members[key] else { return nil }
                node = next
            case .array(let items):
                guard let index = Int(key), items.indices.contains(index) else { return nil }
                node = items[index]
            default:
                return nil
            }
        }
        return node
    }

    // MARK: Validation

    func validate(_ value: JSONValue, against schema: JSONValue, at pointer: String, _ violations: inout [Violation]) {
        switch schema {
        case .bool(true): return
        case .bool(false):
            violations.append(Violation(pointer: pointer, reason: "no value is allowed here"))
            return
        case .object: break
        default:
            violations.append(Violation(pointer: pointer, reason: "the document's schema here is not a schema"))
            return
        }

        if let reference = schema["$ref"]?.stringValue {
            if let target = lookUp(reference) {
                validate(value, against: target, at: pointer, &violations)
            } else {
                violations.append(Violation(pointer: pointer, reason: "unresolvable $ref \(reference)"))
            }
        }

        if let type = schema["type"] {
            let allowed = type.stringValue.map { [$0] } ?? (type.stringArray ?? [])
            if !allowed.contains(where: { Self.has(value, type: $0) }) {
                violations.append(Violation(pointer: pointer, reason: "expected \(allowed.joined(separator: " or ")), found \(Self.describe(value))"))
                return
            }
        }
        if let options = schema["enum"], case .array(let allowed) = options, !allowed.contains(where: { Self.equal($0, value) }) {
            violations.append(Violation(pointer: pointer, reason: "\(Self.describe(value)) is not one of \(options.jsonText())"))
        }
        if let constant = schema["const"], !Self.equal(constant, value) {
            violations.append(Violation(pointer: pointer, reason: "\(Self.describe(value)) is not the constant \(constant.jsonText())"))
        }

        switch value {
        case .string(let string): validateString(string, schema, pointer, &violations)
        case .integer, .number: validateNumber(value.doubleValue ?? .nan, schema, pointer, &violations)
        case .array(let items): validateArray(items, schema, pointer, &violations)
        case .object(let members): validateObject(members, schema, pointer, &violations)
        case .null, .bool: break
        }

        if case .array(let all)? = schema["allOf"] {
            for subschema in all { validate(value, against: subschema, at: pointer, &violations) }
        }
        if case .array(let any)? = schema["anyOf"] {
            let passing = any.contains { subschema in
                var scratch: [Violation] = []
                validate(value, against: subschema, at: pointer, &scratch)
                return scratch.isEmpty
            }
            if !passing { violations.append(Violation(pointer: pointer, reason: "matches none of anyOf's \(any.count) schemas")) }
        }
        if case .array(let one)? = schema["oneOf"] {
            var failures: [[Violation]] = []
            for subschema in one {
                var scratch: [Violation] = []
                validate(value, against: subschema, at: pointer, &scratch)
                failures.append(scratch)
            }
            let passing = failures.filter(\.isEmpty).count
            if passing != 1 {
                let detail = passing == 0 ? ": " + failures.map { $0.map(\.description).joined(separator: "; ") }.joined(separator: " | ") : ""
                violations.append(Violation(pointer: pointer, reason: "matches \(passing) of oneOf's \(one.count) schemas, not exactly 1\(detail)"))
            }
        }
        if let negated = schema["not"] {
            var scratch: [Violation] = []
            validate(value, against: negated, at: pointer, &scratch)
            if scratch.isEmpty { violations.append(Violation(pointer: pointer, reason: "matches the schema under not")) }
        }
    }

    private func validateString(_ string: String, _ schema: JSONValue, _ pointer: String, _ violations: inout [Violation]) {
        let length = string.unicodeScalars.count
        if let minimum = schema["minLength"]?.integerValue, length < minimum {
            violations.append(Violation(pointer: pointer, reason: "a string of \(length) characters is shorter than minLength \(minimum)"))
        }
        if let maximum = schema["maxLength"]?.integerValue, length > maximum {
            violations.append(Violation(pointer: pointer, reason: "a string of \(length) characters is longer than maxLength \(maximum)"))
        }
        if let pattern = schema["pattern"]?.stringValue {
            switch patterns.matches(pattern, string) {
            case .some(true): break
            case .some(false):
                violations.append(Violation(pointer: pointer, reason: "\(Self.describe(.string(string))) does not match the pattern \(pattern)"))
            case .none:
                violations.append(Violation(pointer: pointer, reason: "the document's pattern \(pattern) does not compile"))
            }
        }
    }

    private func validateNumber(_ number: Double, _ schema: JSONValue, _ pointer: String, _ violations: inout [Violation]) {
        if let minimum = schema["minimum"]?.doubleValue, number < minimum {
            violations.append(Violation(pointer: pointer, reason: "\(Self.describe(.number(number))) is below the minimum \(Self.describe(.number(minimum)))"))
        }
        if let maximum = schema["maximum"]?.doubleValue, number > maximum {
            violations.append(Violation(pointer: pointer, reason: "\(Self.describe(.number(number))) is above the maximum \(Self.describe(.number(maximum)))"))
        }
        if let bound = schema["exclusiveMinimum"]?.doubleValue, number <= bound {
            violations.append(Violation(pointer: pointer, reason: "\(Self.describe(.number(number))) is not above \(Self.describe(.number(bound)))"))
        }
        if let bound = schema["exclusiveMaximum"]?.doubleValue, number >= bound {
            violations.append(Violation(pointer: pointer, reason: "\(Self.describe(.number(number))) is not below \(Self.describe(.number(bound)))"))
        }
    }

    private func validateArray(_ items: [JSONValue], _ schema: JSONValue, _ pointer: String, _ violations: inout [Violation]) {
        if let minimum = schema["minItems"]?.integerValue, items.count < minimum {
            violations.append(Violation(pointer: pointer, reason: "\(items.count) items are fewer than minItems \(minimum)"))
        }
        if let maximum = schema["maxItems"]?.integerValue, items.count > maximum {
            violations.append(Violation(pointer: pointer, reason: "\(items.count) items are more than maxItems \(maximum)"))
        }
        if schema["uniqueItems"] == .bool(true), Set(items).count != items.count {
            violations.append(Violation(pointer: pointer, reason: "the items are not unique"))
        }
        if let itemSchema = schema["items"] {
            for (index, item) in items.enumerated() {
                validate(item, against: itemSchema, at: pointer + "/\(index)", &violations)
            }
        }
    }

    private func validateObject(_ members: [String: JSONValue], _ schema: JSONValue, _ pointer: String, _ violations: inout [Violation]) {
        for name in schema["required"]?.stringArray ?? [] where members[name] == nil {
            violations.append(Violation(pointer: pointer, reason: "the required member \"\(name)\" is missing"))
        }
        let properties = schema["properties"]?.objectValue ?? [:]
        for name in members.keys.sorted() {
            let member = members[name]!
            let childPointer = pointer + "/" + name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
            if let propertySchema = properties[name] {
                validate(member, against: propertySchema, at: childPointer, &violations)
            } else if let additional = schema["additionalProperties"] {
                if additional == .bool(false) {
                    violations.append(Violation(pointer: childPointer, reason: "the member \"\(name)\" is not allowed (additionalProperties is false)"))
                } else {
                    validate(member, against: additional, at: childPointer, &violations)
                }
            }
        }
    }

    // MARK: Values

    private static func has(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object),
            ("number", .number), ("number", .integer), ("integer", .integer):
            return true
        case ("integer", .number(let number)):
            return number.isFinite && number.rounded() == number
        default:
            return false
        }
    }

    /// JSON equality, where 1 and 1.0 are the same number.
    private static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool { a == b }

    private static func describe(_ value: JSONValue) -> String {
        let text = value.jsonText()
        let shown = text.count > 80 ? String(text.prefix(77)) + "…" : text
        switch value {
        case .object: return "an object"
        case .array(let items): return "an array of \(items.count)"
        default: return "\(value.typeName) \(shown)"
        }
    }
}

/// Compiled `pattern`s, shared by every check (NSRegularExpression is safe to use from many threads).
private final class PatternCache: @unchecked Sendable {
    private let lock = NSLock()
    private var compiled: [String: NSRegularExpression?] = [:]

    /// Whether `pattern` matches somewhere in `string` (JSON Schema patterns are unanchored);
    /// `nil` when the pattern does not compile.
    func matches(_ pattern: String, _ string: String) -> Bool? {
        lock.lock()
        let expression: NSRegularExpression?
        if let cached = compiled[pattern] {
            expression = cached
        } else {
            expression = try? NSRegularExpression(pattern: pattern)
            compiled[pattern] = expression
        }
        lock.unlock()
        guard let expression else { return nil }
        let range = NSRange(string.startIndex..<string.endIndex, in: string)
        return expression.firstMatch(in: string, range: range) != nil
    }
}
