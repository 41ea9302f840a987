import Testing

@testable import OneCore

private let thingID = "thg_01hx5z3k7m9pqrstvwxyz0abcd"
private let groupID = "grp_01hx5z3k7m9pqrstvwxyz0abcd"

private let original = Thing(
    id: thingID, groupId: groupID, type: "course", name: "Intro",
    properties: ["level": "beginner", "minutes": 30], status: "draft", createdBy: "usr_01hx5z3k7m9pqrstvwxyz0abcd",
    createdAt: 100, updatedAt: 100)

@Suite("Change.between")
struct ChangeTests {
    @Test("keeps only the top-level fields that changed, before and after")
    func changedFieldsOnly() {
        var updated = original
        updated.name = "Intro to Swift"
        updated.updatedAt = 200
        let change = Change.between(original, updated)
        #expect(change.before == ["name": "Intro"])
        #expect(change.after == ["name": "Intro to Swift"])
    }

    @Test("ignores updatedAt, so a touch alone is an empty change")
    func ignoresUpdatedAt() {
        var touched = original
        touched.updatedAt = 999
        let change = Change.between(original, touched)
        #expect(change.before == JSONValue.object([:]))
        #expect(change.after == JSONValue.object([:]))
    }

    @Test("no change at all gives empty objects")
    func identical() {
        let change = Change.between(original, original)
        #expect(change.before == JSONValue.object([:]))
        #expect(change.after == JSONValue.object([:]))
    }

    @Test("a nested change keeps the whole top-level field")
    func nestedField() {
        var updated = original
        updated.properties = ["level": "beginner", "minutes": 45]
        updated.status = "published"
        let change = Change.between(original, updated)
        #expect(change.before == ["properties": ["level": "beginner", "minutes": 30], "status": "draft"])
        #expect(change.after == ["properties": ["level": "beginner", "minutes": 45], "status": "published"])
    }

    @Test("a field that appears or disappears is null on the other side")
    func appearingAndDisappearing() {
        var deleted = original
        deleted.deletedAt = 300
        let added = Change.between(original, deleted)
        #expect(added.before == ["deletedAt": nil])
        #expect(added.after == ["deletedAt": 300])

        let removed = Change.between(deleted, original)
        #expect(removed.before == ["deletedAt": 300])
        #expect(removed.after == ["deletedAt": nil])
    }

    @Test("uses the records' wire field names")
    func onGroup() {
        let before = Group(id: groupID, slug: "acme", name: "Acme", type: "organization", createdAt: 1, updatedAt: 1)
        var after = before
        after.name = "Acme Inc"
        after.status = .archived
        after.updatedAt = 2
        let change = Change.between(before, after)
        #expect(change.before == ["name": "Acme", "status": "active"])
        #expect(change.after == ["name": "Acme Inc", "status": "archived"])
    }

    @Test("works on plain JSON objects, ignoring only the top-level updatedAt")
    func onJSONValues() {
        let old: JSONValue = ["a": 1, "b": ["updatedAt": 1], "updatedAt": 1, "same": true]
        let new: JSONValue = ["a": 2, "b": ["updatedAt": 2], "updatedAt": 2, "same": true, "c": "new"]
        let change = Change.between(old, new)
        #expect(change.before == ["a": 1, "b": ["updatedAt": 1], "c": nil])
        #expect(change.after == ["a": 2, "b": ["updatedAt": 2], "c": "new"])
    }

    @Test("created records the whole value as after")
    func created() {
        let change = Change.created(original)
        #expect(change.before == nil)
        #expect(change.after == original.json)
        #expect(change.after?.objectValue?["name"] == "Intro")
    }
}
