import Foundation
import Testing

@testable import OneCore

/// A fresh temporary directory, removed after `body`.
private func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("one-ontology-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// Each shipped feature and one thing type only it adds.
private let featureThingTypes: [(feature: String, thingType: String)] = [
    ("core", "page"), ("blog", "blog_category"), ("portfolio", "case_study"), ("shop", "shopping_cart"),
    ("courses", "certificate"), ("community", "forum_topic"), ("tokens", "token_holder"),
]

@Suite("Ontology")
struct OntologyTests {
    @Test("the shipped base ontology loads with its vocabularies")
    func baseContents() throws {
        let base = try Ontology.base()
        #expect(base.thingTypes.contains("course"))
        #expect(base.thingTypes.contains("blog_post"))
        #expect(base.reservedThingTypes.contains("session"))
        #expect(base.connectionTypes.contains("owns"))
        #expect(base.lifecycleEventTypes.contains("thing_created"))
        #expect(base.eventTypes.contains("course_enrolled"))
        #expect(base.knowledgeTypes == ["label", "document", "chunk", "vector_only"])
        #expect(base.groupTypes.contains("organization"))
        #expect(base.thingStatuses == ["active", "inactive", "draft", "published", "archived"])
        #expect(!base.thingTypes.contains("shopping_cart"))
    }

    @Test("reserved thing types are thing types but not creatable")
    func reservedTypes() throws {
        let base = try Ontology.base()
        for reserved in ["session", "oauth_account", "verification_token", "password_reset_token", "ui_preferences"] {
            #expect(base.reservedThingTypes.contains(reserved))
            #expect(base.thingTypes.contains(reserved))
            #expect(!base.creatableThingTypes.contains(reserved))
        }
        #expect(base.creatableThingTypes.contains("course"))
    }

    @Test("lifecycle event types are event types")
    func lifecycleInEventTypes() throws {
        let base = try Ontology.base()
        #expect(!base.lifecycleEventTypes.isEmpty)
        #expect(base.lifecycleEventTypes.isSubset(of: base.eventTypes))
    }

    @Test("checkThingType accepts a creatable type")
    func checkThingTypeGood() throws {
        let base = try Ontology.base()
        try base.checkThingType("course")
        try base.checkThingType("ai_clone")
    }

    @Test("checkThingType refuses a reserved type with a validation error saying so")
    func checkThingTypeReserved() throws {
        let base = try Ontology.base()
        let error = try #require(throws: OneError.self) { try base.checkThingType("session") }
        #expect(error.code == .validation)
        #expect(error.code.rawValue == "VALIDATION_ERROR")
        #expect(error.field == "type")
        #expect(error.message.contains("reserved"))
        #expect(error.message.contains("session"))
    }

    @Test("checkThingType refuses an unknown type naming field 'type' and the allowed values")
    func checkThingTypeUnknown() throws {
        let base = try Ontology.base()
        let error = try #require(throws: OneError.self) { try base.checkThingType("spaceship") }
        #expect(error.code == .validation)
        #expect(error.field == "type")
        #expect(error.message.contains("spaceship"))
        let allowed = try #require(error.message.components(separatedBy: "allowed: ").last)
        let listed = Set(allowed.components(separatedBy: ", "))
        #expect(listed.contains("course"))
        #expect(listed.contains("blog_post"))
        #expect(!listed.contains("session"), "reserved types are not offered as allowed")
        #expect(listed.count == base.thingTypes.count - base.reservedThingTypes.count)
    }

    @Test("type checks are exact: case and whitespace matter", arguments: ["Course", "COURSE", " course", "course ", ""])
    func checkThingTypeExact(type: String) throws {
        let base = try Ontology.base()
        #expect(throws: OneError.self) { try base.checkThingType(type) }
    }

    @Test("the other vocabularies accept their members and refuse others, naming the field")
    func otherChecks() throws {
        let base = try Ontology.base()
        try base.checkThingStatus("published")
        try base.checkGroupType("dao")
        try base.checkConnectionType("owns")
        try base.checkKnowledgeType("chunk")

        let cases: [(check: () throws -> Void, field: String)] = [
            ({ try base.checkThingStatus("deleted") }, "status"),
            ({ try base.checkGroupType("club") }, "type"),
            ({ try base.checkConnectionType("likes") }, "type"),
            ({ try base.checkKnowledgeType("embedding") }, "type"),
        ]
        for (check, field) in cases {
            let error = #expect(throws: OneError.self) { try check() }
            #expect(error?.code == .validation)
            #expect(error?.field == field)
            #expect(error?.message.contains("allowed:") == true)
        }
    }

    @Test("checkCustomEventType accepts client event types")
    func customEventGood() throws {
        let base = try Ontology.base()
        try base.checkCustomEventType("course_enrolled")
        try base.checkCustomEventType("profile_updated")
    }

    @Test(
        "checkCustomEventType refuses lifecycle types, sign-in ones included",
        arguments: ["thing_created", "api_key_revoked", "group_archived", "user_login", "password_reset_completed"])
    func customEventLifecycle(type: String) throws {
        let base = try Ontology.base()
        let error = try #require(throws: OneError.self) { try base.checkCustomEventType(type) }
        #expect(error.code == .validation)
        #expect(error.field == "type")
        #expect(error.message.contains(type))
    }

    @Test("checkCustomEventType refuses unknown types and does not offer lifecycle types")
    func customEventUnknown() throws {
        let base = try Ontology.base()
        let error = try #require(throws: OneError.self) { try base.checkCustomEventType("made_up_event") }
        #expect(error.code == .validation)
        #expect(error.field == "type")
        #expect(error.message.contains("course_enrolled"))
        #expect(!error.message.contains("thing_created"))
        #expect(!error.message.contains("user_login"))
    }

    @Test("load(extensions:) with no extensions is the base")
    func loadNothing() throws {
        #expect(try Ontology.load(extensions: []) == Ontology.base())
    }

    @Test("load(extensions: [\"shop\"]) adds the shop vocabulary to the base")
    func loadShop() throws {
        let shop = try Ontology.load(extensions: ["shop"])
        #expect(shop.thingTypes.contains("shopping_cart"))
        #expect(shop.connectionTypes.contains("in_cart"))
        #expect(shop.thingTypes.contains("course"), "base types are kept")
        try shop.checkThingType("shopping_cart")
        #expect(throws: OneError.self) { try shop.checkThingType("session") }
    }

    @Test("every shipped feature loads and extends the base", arguments: featureThingTypes)
    func loadEachFeature(feature: String, thingType: String) throws {
        let base = try Ontology.base()
        let extended = try Ontology.load(extensions: [feature])
        #expect(!base.thingTypes.contains(thingType))
        #expect(extended.thingTypes.contains(thingType))
        #expect(base.thingTypes.isSubset(of: extended.thingTypes))
    }

    @Test("the feature list matches the shipped files")
    func featureNames() {
        #expect(Set(Ontology.featureNames) == Set(featureThingTypes.map(\.feature)))
    }

    @Test("a YAML file on disk extends the base")
    func loadFile() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("space.yaml")
            try """
            # operator extension
            thingTypes: [spaceship, planet]
            connectionTypes:
              - docks_at
            eventTypes: [launched]
            knowledgeTypes: [star_chart]
            groupTypes: [fleet]
            thingStatuses: [in_orbit]
            reservedThingTypes: [launch_code]
            """.write(to: url, atomically: true, encoding: .utf8)

            let ontology = try Ontology.load(extensions: [url.path])
            #expect(ontology.thingTypes.isSuperset(of: ["spaceship", "planet", "course", "launch_code"]))
            #expect(ontology.connectionTypes.isSuperset(of: ["docks_at", "owns"]))
            #expect(ontology.eventTypes.isSuperset(of: ["launched", "user_login"]))
            #expect(ontology.knowledgeTypes.isSuperset(of: ["star_chart", "chunk"]))
            #expect(ontology.groupTypes.isSuperset(of: ["fleet", "dao"]))
            #expect(ontology.thingStatuses.isSuperset(of: ["in_orbit", "draft"]))
            #expect(ontology.reservedThingTypes.isSuperset(of: ["launch_code", "session"]))
            try ontology.checkThingType("spaceship")
            #expect(throws: OneError.self) { try ontology.checkThingType("launch_code") }
            try ontology.checkCustomEventType("launched")
        }
    }

    @Test("a feature name and a file can be combined")
    func loadFeatureAndFile() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("extra.yml")
            try "thingTypes: [spaceship]\n".write(to: url, atomically: true, encoding: .utf8)
            let ontology = try Ontology.load(extensions: ["shop", url.path])
            #expect(ontology.thingTypes.isSuperset(of: ["spaceship", "shopping_cart", "course"]))
        }
    }

    @Test("a malformed YAML file throws VALIDATION_ERROR", arguments: [
        "thingTypes: [unclosed\n",
        "thingTypes: spaceship\n",
        "thingTypes:\n  - a\n - b\n",
        "- just\n- a list\n",
    ])
    func loadMalformed(yaml: String) throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("bad.yaml")
            try yaml.write(to: url, atomically: true, encoding: .utf8)
            let error = try #require(throws: OneError.self) { try Ontology.load(extensions: [url.path]) }
            #expect(error.code == .validation)
            #expect(error.code.rawValue == "VALIDATION_ERROR")
            #expect(error.field == "ontology")
            #expect(error.message.contains(url.path))
        }
    }

    @Test("a missing file or unknown feature throws VALIDATION_ERROR naming it")
    func loadMissing() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("absent.yaml").path
            for source in [path, "no_such_feature"] {
                let error = try #require(throws: OneError.self) { try Ontology.load(extensions: [source]) }
                #expect(error.code == .validation)
                #expect(error.field == "ontology")
                #expect(error.message.contains(source))
            }
        }
    }

    @Test("Ontology(yaml:) folds reserved types into thing types and lifecycle into event types")
    func parseYAML() throws {
        let ontology = try Ontology(
            yaml: "thingTypes: [a]\nreservedThingTypes: [r]\neventTypes: [e]\nlifecycleEventTypes: [l]\n", source: "test")
        #expect(ontology.thingTypes == ["a", "r"])
        #expect(ontology.reservedThingTypes == ["r"])
        #expect(ontology.creatableThingTypes == ["a"])
        #expect(ontology.eventTypes == ["e", "l"])
        #expect(ontology.lifecycleEventTypes == ["l"])
        #expect(ontology.connectionTypes.isEmpty)
        #expect(ontology.groupTypes.isEmpty)
    }

    @Test("merging is a union of every vocabulary")
    func mergingUnion() {
        let left = Ontology(
            groupTypes: ["g1"], thingTypes: ["t1", "shared"], reservedThingTypes: ["r1"], thingStatuses: ["s1"],
            connectionTypes: ["c1"], eventTypes: ["e1"], lifecycleEventTypes: ["l1"], knowledgeTypes: ["k1"])
        let right = Ontology(
            groupTypes: ["g2"], thingTypes: ["t2", "shared"], reservedThingTypes: ["r2"], thingStatuses: ["s2"],
            connectionTypes: ["c2"], eventTypes: ["e2"], lifecycleEventTypes: ["l2"], knowledgeTypes: ["k2"])
        let merged = left.merging(right)
        #expect(merged.groupTypes == ["g1", "g2"])
        #expect(merged.thingTypes == ["t1", "t2", "shared"])
        #expect(merged.reservedThingTypes == ["r1", "r2"])
        #expect(merged.thingStatuses == ["s1", "s2"])
        #expect(merged.connectionTypes == ["c1", "c2"])
        #expect(merged.eventTypes == ["e1", "e2"])
        #expect(merged.lifecycleEventTypes == ["l1", "l2"])
        #expect(merged.knowledgeTypes == ["k1", "k2"])
        #expect(right.merging(left) == merged, "order does not matter")
        #expect(merged.merging(right) == merged, "merging again changes nothing")
        #expect(left.merging(Ontology()) == left, "the empty ontology is the identity")
    }
}
