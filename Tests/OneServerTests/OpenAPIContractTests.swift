import Foundation
import OneCore
import Testing

/// The checker every end-to-end response goes through: it must catch what it claims to, or the
/// suite's silence about the contract means nothing.
@Suite("OpenAPI contract checker")
struct OpenAPIContractTests {
    var contract: OpenAPIContract {
        get throws { try OpenAPIContract.shared.get() }
    }

    static let thing: JSONValue = [
        "_id": "thg_01jq8z3k5v7w9x1y2z3a4b5c6d", "groupId": "grp_01jq8z3k5v7w9x1y2z3a4b5c6d", "type": "course",
        "name": "A course", "properties": ["deep": ["x": 1]], "status": "active", "tags": [:], "createdBy": "key_01jq8z3k5v7w9x1y2z3a4b5c6d",
        "createdAt": 1735689600000, "updatedAt": 1735689600000,
    ]

    func check(_ method: String, _ path: String, _ status: Int, _ body: JSONValue, contentType: String = "application/json; charset=utf-8") throws -> [String] {
        try contract.check(method: method, path: path, status: status, contentType: contentType, body: body.jsonText()).map(\.description)
    }

    @Test("a well-formed record, list and error pass")
    func conformingResponses() throws {
        #expect(try check("GET", "/api/things/thg_01jq8z3k5v7w9x1y2z3a4b5c6d", 200, Self.thing) == [])
        #expect(try check("GET", "/api/things?limit=5", 200, ["results": [Self.thing], "count": 1, "hasMore": false]) == [])
        #expect(try check("POST", "/api/things", 404, ["error": "group not found", "code": "NOT_FOUND"]) == [])
        #expect(try check("GET", "/health", 200, ["status": "ok"]) == [])
        #expect(try contract.check(method: "GET", path: "/docs", status: 200, contentType: "text/html; charset=utf-8", body: "<html></html>").isEmpty)
    }

    @Test("missing, extra and malformed members are reported with their JSON pointer")
    func departures() throws {
        var thing = Self.thing.objectValue!
        thing["name"] = nil
        thing["_id"] = "thg_NOT-AN-ID"
        thing["surprise"] = true
        thing["createdAt"] = 1.5
        let violations = try check("GET", "/api/things/thg_01jq8z3k5v7w9x1y2z3a4b5c6d", 200, .object(thing))
        #expect(violations.contains { $0.hasPrefix("/:") && $0.contains("\"name\" is missing") }, "\(violations)")
        #expect(violations.contains { $0.hasPrefix("/_id:") && $0.contains("pattern") }, "\(violations)")
        #expect(violations.contains { $0.hasPrefix("/surprise:") && $0.contains("not allowed") }, "\(violations)")
        #expect(violations.contains { $0.hasPrefix("/createdAt:") && $0.contains("expected integer") }, "\(violations)")

        let list = try check("GET", "/api/things", 200, ["results": [["_id": 3]], "count": -1, "hasMore": "no"])
        #expect(list.contains { $0.hasPrefix("/results/0/_id:") }, "\(list)")
        #expect(list.contains { $0.hasPrefix("/count:") && $0.contains("minimum") }, "\(list)")
        #expect(list.contains { $0.hasPrefix("/hasMore:") && $0.contains("expected boolean") }, "\(list)")

        let error = try check("GET", "/api/things", 400, ["error": "x", "code": "NOPE"])
        #expect(error.contains { $0.hasPrefix("/code:") && $0.contains("not one of") }, "\(error)")
    }

    @Test("an undescribed route, method, status or media type is a violation")
    func undescribed() throws {
        #expect(try check("GET", "/api/nothing-here", 404, ["error": "x", "code": "NOT_FOUND"]).first?.contains("no operation") == true)
        #expect(try check("PUT", "/api/things", 200, [:]).first?.contains("no operation") == true)
        #expect(try check("GET", "/api/things", 418, [:]).first?.contains("status 418 is not described") == true)
        #expect(try check("GET", "/api/things", 200, ["results": [], "count": 0, "hasMore": false], contentType: "text/plain").first?.contains("Content-Type") == true)
        #expect(try contract.check(method: "GET", path: "/api/things", status: 200, contentType: "application/json", body: "").first?.reason.contains("none was sent") == true)
        // Literal segments win over parameters: /events/timeline is not /events/{id}.
        #expect(try contract.template(method: "GET", path: "/api/events/timeline?limit=1") == "/api/events/timeline")
        #expect(try contract.template(method: "GET", path: "/api/events/evt_01jq8z3k5v7w9x1y2z3a4b5c6d") == "/api/events/{id}")
        // A deliberate probe of a missing route must not be documented, and must answer in the error shape.
        #expect(try contract.checkUndocumented(method: "GET", path: "/api/nothing-here", status: 404, contentType: "application/json", body: #"{"error":"x","code":"NOT_FOUND"}"#).isEmpty)
        #expect(try contract.checkUndocumented(method: "GET", path: "/api/things", status: 404, contentType: "application/json", body: #"{"error":"x","code":"NOT_FOUND"}"#).count == 1)
        #expect(try contract.checkUndocumented(method: "GET", path: "/api/nothing-here", status: 404, contentType: "application/json", body: #"{"oops":1}"#).count == 3)
    }

    @Test("the schema keywords the checker claims behave as JSON Schema says")
    func keywords() throws {
        let contract = try self.contract
        func violations(_ value: JSONValue, _ schema: JSONValue) -> Int {
            var found: [OpenAPIContract.Violation] = []
            contract.validate(value, against: schema, at: "", &found)
            return found.count
        }
        #expect(violations(nil, ["type": ["string", "null"]]) == 0)
        #expect(violations(3, ["type": ["string", "null"]]) == 1)
        #expect(violations(3, ["type": "integer"]) == 0)
        #expect(violations(3.5, ["type": "integer"]) == 1)
        #expect(violations("b", ["enum": ["a", "b"]]) == 0)
        #expect(violations("c", ["enum": ["a", "b"]]) == 1)
        #expect(violations(true, ["const": true]) == 0)
        #expect(violations(false, ["const": true]) == 1)
        #expect(violations("abc", ["minLength": 4]) == 1)
        #expect(violations("abc", ["maxLength": 2]) == 1)
        #expect(violations("é", ["maxLength": 1]) == 0)
        #expect(violations("xaby", ["pattern": "ab"]) == 0)
        #expect(violations("xaby", ["pattern": "^ab"]) == 1)
        #expect(violations(5, ["minimum": 6]) == 1)
        #expect(violations(5, ["maximum": 4]) == 1)
        #expect(violations(5, ["minimum": 5, "maximum": 5]) == 0)
        #expect(violations([1, 2], ["minItems": 3]) == 1)
        #expect(violations([1, 2], ["maxItems": 1]) == 1)
        #expect(violations([1, "x"], ["items": ["type": "integer"]]) == 1)
        #expect(violations(["a": 1, "b": 2], ["additionalProperties": ["type": "string"]]) == 2)
        #expect(violations(["a": 1], ["properties": ["a": ["type": "integer"]], "additionalProperties": false]) == 0)
        #expect(violations(["a": 1, "b": 1], ["properties": ["a": ["type": "integer"]], "additionalProperties": false]) == 1)
        #expect(violations([:], ["required": ["a", "b"]]) == 2)
        #expect(violations(4, ["oneOf": [["type": "integer"], ["minimum": 3]]]) == 1)  // both match
        #expect(violations(2, ["oneOf": [["type": "integer"], ["minimum": 3]]]) == 0)
        #expect(violations("x", ["anyOf": [["type": "integer"], ["type": "boolean"]]]) == 1)
        #expect(violations("x", ["anyOf": [["type": "integer"], ["type": "string"]]]) == 0)
        #expect(violations(7, ["allOf": [["type": "integer"], ["maximum": 5]]]) == 1)
        #expect(violations("x", ["format": "email"]) == 0)  // formats are ignored
        #expect(violations("grp_01jq8z3k5v7w9x1y2z3a4b5c6d", ["$ref": "#/components/schemas/GroupId"]) == 0)
        #expect(violations("grp_01jq8z3k5v7w9x1y2z3a4b5c6i", ["$ref": "#/components/schemas/GroupId"]) == 1)  // i is not Crockford
        #expect(violations("x", ["$ref": "#/components/schemas/NoSuchSchema"]) == 1)
    }

    @Test("every $ref in the document resolves and every pattern compiles")
    func documentIsSound() throws {
        let contract = try self.contract
        var problems: [String] = []
        func walk(_ value: JSONValue, _ pointer: String) {
            switch value {
            case .object(let members):
                if let reference = members["$ref"]?.stringValue, contract.lookUp(reference) == nil {
                    problems.append("\(pointer): unresolvable \(reference)")
                }
                if let pattern = members["pattern"]?.stringValue, (try? NSRegularExpression(pattern: pattern)) == nil {
                    problems.append("\(pointer): pattern \(pattern) does not compile")
                }
                for (key, member) in members { walk(member, pointer + "/" + key) }
            case .array(let items):
                for (index, item) in items.enumerated() { walk(item, pointer + "/\(index)") }
            default:
                break
            }
        }
        walk(contract.document, "")
        #expect(problems == [])
    }
}
