import Foundation
import Testing

@testable import OneCore

/// RFC 7396 appendix A: original, patch, expected result, as JSON text.
private let rfc7396Examples: [(original: String, patch: String, result: String)] = [
    (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
    (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
    (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
    (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
    (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
    (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
    (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
    (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
    (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
    (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
    (#"{"a":"foo"}"#, #"null"#, #"null"#),
    (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
    (#"{"e":null}"#, #"{"a":1}"#, #"{"a":1,"e":null}"#),
    (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
    (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
]

private let nested: JSONValue = [
    "title": "Intro to Swift",
    "price": 49,
    "rating": 4.5,
    "published": true,
    "archivedAt": nil,
    "tags": ["swift", "server", 3, false, nil, ["deep"]],
    "author": ["name": "Ada", "links": ["site": "https://example.com", "empty": [:]], "scores": []],
]

@Suite("JSONValue")
struct JSONValueTests {
    @Test("nested values survive a JSONEncoder/JSONDecoder round trip")
    func codableRoundTrip() throws {
        let data = try JSONEncoder().encode(nested)
        let decoded = try JSONDecoder().decode(JSONValue.self, from: data)
        #expect(decoded == nested)
    }

    @Test("nested values survive a jsonText round trip")
    func jsonTextRoundTrip() throws {
        let text = nested.jsonText()
        #expect(try JSONValue(jsonText: text) == nested)
        // Written once more from the parsed value, the text is identical (sorted keys make it canonical).
        #expect(try JSONValue(jsonText: text).jsonText() == text)
    }

    @Test("jsonText is compact with sorted keys")
    func jsonTextCanonical() {
        let value: JSONValue = ["b": [true, nil, "x"], "a": 1, "c": ["z": 0, "y": -2]]
        #expect(value.jsonText() == #"{"a":1,"b":[true,null,"x"],"c":{"y":-2,"z":0}}"#)
    }

    @Test("whole numbers encode without a fractional part", arguments: [
        (JSONValue.number(0), "0"),
        (.number(3), "3"),
        (.number(-17), "-17"),
        (.number(1_700_000_000_000), "1700000000000"),
        (.number(-0.0), "0"),
    ])
    func integersEncodeWhole(value: JSONValue, text: String) {
        #expect(value.jsonText() == text)
    }

    @Test("fractional numbers keep their fraction", arguments: [
        (JSONValue.number(2.5), 2.5),
        (.number(-0.25), -0.25),
        (.number(0.1), 0.1),
    ])
    func fractionsEncode(value: JSONValue, expected: Double) throws {
        let text = value.jsonText()
        #expect(text.contains("."))
        #expect(try JSONValue(jsonText: text) == .number(expected))
    }

    @Test("integers inside objects and arrays also encode whole")
    func integersNested() {
        let value: JSONValue = ["count": 2, "list": [1, .number(2.0), .number(2.5)]]
        #expect(value.jsonText() == #"{"count":2,"list":[1,2,2.5]}"#)
    }

    @Test("parsing tells each JSON type apart", arguments: [
        ("null", JSONValue.null),
        ("true", .bool(true)),
        ("false", .bool(false)),
        ("0", .number(0)),
        ("1", .number(1)),
        ("-3.5", .number(-3.5)),
        ("1e3", .number(1000)),
        (#""1""#, .string("1")),
        (#""true""#, .string("true")),
        (#""""#, .string("")),
        ("[]", .array([])),
        ("[0,1,true]", .array([.number(0), .number(1), .bool(true)])),
        ("{}", .object([:])),
        (#"{"a":null}"#, .object(["a": .null])),
    ])
    func parsesTypes(text: String, expected: JSONValue) throws {
        #expect(try JSONValue(jsonText: text) == expected)
    }

    @Test("Foundation's decoder also tells numbers from booleans")
    func codableDecodesTypes() throws {
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(#"[0,1,true,false,"1",null,{"a":[]}]"#.utf8))
        #expect(decoded == [0, 1, true, false, "1", nil, ["a": []]])
    }

    @Test("malformed JSON text throws INVALID_JSON", arguments: [
        "", "   ", "{", "}", #"{"a":}"#, #"{"a" 1}"#, #"{a:1}"#, "{'a':1}", #"{"a":1"#, #"{"a":1,}"#, "[1,]", "[1 2]",
        #""\u0000""#, #"{"a":"x\u0000y"}"#,
        "[", "tru", "nul", "True", "1 2", "01", "-", "1.", ".5", "+1", "1e", "1e400", "NaN", #""abc"#, #""\x""#,
        #""\u12""#, #""\ud800""#, #""\udc00""#, "\"a\tb\"", "\"a\nb\"",
    ])
    func malformedThrows(text: String) {
        let error = #expect(throws: OneError.self) { try JSONValue(jsonText: text) }
        #expect(error?.code == .invalidJSON)
    }

    @Test("valid JSON text edge cases parse", arguments: [
        (" \n\t[ 1 , 2 ]\r\n ", JSONValue.array([1, 2])),
        ("-0", .number(0)),
        ("1E+2", .number(100)),
        ("2.5e-1", .number(0.25)),
        (#""a\"b\\c\/d""#, .string(#"a"b\c/d"#)),
        (#""\b\f\n\r\t""#, .string("\u{8}\u{C}\n\r\t")),
        (#""\u00e9\u00E9""#, .string("\u{E9}\u{E9}")),
        (#""\ud83d\ude00""#, .string("\u{1F600}")),
        ("\"\u{1F600}é\"", .string("\u{1F600}é")),
        (#"{"a":1,"a":2}"#, .object(["a": 2])),
    ])
    func parsesEdgeCases(text: String, expected: JSONValue) throws {
        #expect(try JSONValue(jsonText: text) == expected)
    }

    @Test("strings with quotes, escapes, control characters and non-ASCII round trip", arguments: [
        "", "plain", #"quote " and backslash \"#, "line\nbreak\ttab\rreturn", "bell \u{7} esc \u{1B} del \u{7F} unit \u{1F}",
        "/slash/", "é ü ß 中文 \u{1F600}", "\u{2028}\u{2029}",
    ])
    func stringRoundTrip(string: String) throws {
        let value = JSONValue.object([string: .string(string)])
        let text = value.jsonText()
        #expect(try JSONValue(jsonText: text) == value)
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 }, "control characters are escaped")
        // Foundation agrees it is valid JSON with the same content.
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) == value)
    }

    @Test("nesting is limited to 256 levels")
    func depthLimit() throws {
        let deep = String(repeating: "[", count: 256) + String(repeating: "]", count: 256)
        #expect(try JSONValue(jsonText: deep).jsonText() == deep)
        let tooDeep = String(repeating: "[", count: 257) + String(repeating: "]", count: 257)
        let error = #expect(throws: OneError.self) { try JSONValue(jsonText: tooDeep) }
        #expect(error?.code == .invalidJSON)
    }

    @Test("merging follows RFC 7396 (appendix A examples)", arguments: rfc7396Examples)
    func mergePatch(original: String, patch: String, result: String) throws {
        let merged = try JSONValue(jsonText: original).merging(JSONValue(jsonText: patch))
        #expect(merged == (try JSONValue(jsonText: result)))
    }

    @Test("merging leaves the receiver unchanged")
    func mergeIsPure() {
        let original: JSONValue = ["a": 1, "b": ["c": 2]]
        let merged = original.merging(["a": nil, "b": ["c": 3]])
        #expect(original == ["a": 1, "b": ["c": 2]])
        #expect(merged == ["b": ["c": 3]])
    }

    @Test("JSONValue(encoding:) gives the JSON form of a Codable value")
    func encodingInit() throws {
        struct Sample: Encodable {
            var name: String
            var count: Int
            var note: String?
            var tags: [String]
        }
        let value = try JSONValue(encoding: Sample(name: "x", count: 2, note: nil, tags: ["a"]))
        #expect(value == ["name": "x", "count": 2, "tags": ["a"]])
    }

    @Test("accessors return a value only for their own case")
    func accessors() {
        #expect(JSONValue.object(["a": 1]).objectValue == ["a": 1])
        #expect(JSONValue.array([]).objectValue == nil)
        #expect(JSONValue.string("s").stringValue == "s")
        #expect(JSONValue.number(1).stringValue == nil)
        #expect(JSONValue.number(42).integerValue == 42)
        #expect(JSONValue.number(-42).integerValue == -42)
        #expect(JSONValue.number(4.2).integerValue == nil)
        #expect(JSONValue.number(1e16).integerValue == 10_000_000_000_000_000)
        #expect(JSONValue.number(1e300).integerValue == nil)
        #expect(JSONValue.integer(Int64.max).integerValue == Int.max)
        #expect(JSONValue.string("42").integerValue == nil)
    }

    @Test("typeName names each JSON type", arguments: [
        (JSONValue.null, "null"), (.bool(true), "boolean"), (.number(1), "number"), (.string(""), "string"),
        (.array([]), "array"), (.object([:]), "object"),
    ])
    func typeNames(value: JSONValue, name: String) {
        #expect(value.typeName == name)
    }

    @Test("integers of 64 bits round-trip exactly and keep integer form", arguments: [
        "9007199254740993", "9223372036854775807", "-9223372036854775808", "10000000000000000", "0", "-1",
    ])
    func bigIntegers(text: String) throws {
        let value = try JSONValue(jsonText: text)
        #expect(value == .integer(Int64(text)!))
        #expect(value.jsonText() == text)
    }

    @Test("other numbers round-trip to the same double", arguments: ["0.1", "-12.5", "1e300", "2.5e-7", "1.0", "1e2", "18446744073709551616"])
    func doublesRoundTrip(text: String) throws {
        let value = try JSONValue(jsonText: text)
        #expect(try JSONValue(jsonText: value.jsonText()).doubleValue == Double(text))
    }

    @Test("an integer and a double of the same value are equal and hash alike")
    func numericEquality() {
        #expect(JSONValue.integer(3) == .number(3.0))
        #expect(JSONValue.integer(3) != .number(3.5))
        #expect(Set<JSONValue>([.integer(3), .number(3.0)]).count == 1)
        #expect(JSONValue.integer(9_007_199_254_740_993) != .number(9_007_199_254_740_992))
    }

    @Test("stored JSON reads back past the input depth limit, up to its own")
    func storedDepth() throws {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: OneError.self) { try JSONValue(jsonText: deep) }
        _ = try JSONValue(storedText: deep)
        let tooDeep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: OneError.self) { try JSONValue(storedText: tooDeep) }
    }
}
