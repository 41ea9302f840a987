import Foundation
import OneCore
import Testing

/// The `Store` contract, checked directly against every adapter (SQLite always, PostgreSQL when
/// configured): the same calls must give the same answers on both.
@Suite("Store conformance")
struct StoreConformanceTests {
    let clock = Clock.system
    let ids = IDGenerator()

    func group(_ name: String, parent: String? = nil, limits: [QuotaResource: Int]? = nil) -> Group {
        let now = clock.now()
        return Group(
            id: ids.make(.group), slug: "\(name.lowercased())-\(UUID().uuidString.prefix(6).lowercased())", name: name,
            type: "business", parentGroupId: parent, settings: GroupSettings(limits: limits), createdAt: now, updatedAt: now)
    }

    func thing(in groupId: String, name: String = "thing") -> Thing {
        let now = clock.now()
        return Thing(id: ids.make(.thing), groupId: groupId, type: "course", name: name, properties: ["n": 1], createdAt: now, updatedAt: now)
    }

    func event(_ groupId: String, _ type: String, target: String? = nil) -> EventDraft {
        EventDraft(groupId: groupId, type: type, actorId: nil, targetId: target)
    }

    @Test("records round-trip unchanged, scoped to their group", arguments: TestStore.available)
    func roundTrips(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let home = try await store.createGroup(group("Home"), event: event("", "group_created"))
            let other = try await store.createGroup(group("Other"), event: event("", "group_created"))
            #expect(try await store.group(id: home.id) == home)
            var created = thing(in: home.id)
            created.properties = ["nested": ["list": [1, "two", nil, true]], "unicode": "naïve ☕"]
            #expect(try await store.createThing(created, event: event(home.id, "thing_created")) == created)
            #expect(try await store.thing(id: created.id, groupId: home.id) == created)
            #expect(try await store.thing(id: created.id, groupId: other.id) == nil, "another group's ID reads as missing")

            let updated = try await store.updateThing(id: created.id, groupId: home.id) { current in
                var next = current
                next.name = "renamed"
                return (next, event(home.id, "thing_updated", target: current.id))
            }
            #expect(try await store.thing(id: created.id, groupId: home.id) == updated)
            await #expect(throws: OneError.notFound("thing")) {
                try await store.updateThing(id: created.id, groupId: other.id) { ($0, event(other.id, "thing_updated")) }
            }
            // A failing update body writes nothing.
            await #expect(throws: OneError.forbidden("no")) {
                try await store.updateThing(id: created.id, groupId: home.id) { _ in throw OneError.forbidden("no") }
            }
            #expect(try await store.thing(id: created.id, groupId: home.id) == updated)

            let now = clock.now()
            let knowledge = Knowledge(
                id: ids.make(.knowledge), groupId: home.id, type: "document", text: "text", labels: ["a", "b"],
                metadata: ["k": "v"], sourceThingId: created.id, createdAt: now, updatedAt: now)
            #expect(try await store.createKnowledge(knowledge, event: event(home.id, "knowledge_created")) == knowledge)
            #expect(try await store.knowledge(id: knowledge.id, groupId: home.id) == knowledge)
            #expect(try await store.knowledge(KnowledgeQuery(groupId: home.id, label: "b"), page: PageRequest(limit: 10)).items == [knowledge])
            #expect(try await store.knowledge(KnowledgeQuery(groupId: home.id, label: "c"), page: PageRequest(limit: 10)).items.isEmpty)
        }
    }

    @Test("pages walk every row once in key order", arguments: TestStore.available)
    func paging(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let home = try await store.createGroup(group("Home"), event: event("", "group_created"))
            var made: [String] = []
            for index in 0..<25 { made.append(try await store.createThing(thing(in: home.id, name: "t\(index)"), event: event(home.id, "thing_created")).id) }
            var seen: [String] = []
            var after: String?
            repeat {
                let page = try await store.things(ThingQuery(groupId: home.id), page: PageRequest(limit: 7, after: after))
                seen += page.items.map(\.id)
                after = page.nextAfter
                #expect(page.hasMore == (after != nil))
            } while after != nil
            #expect(seen == made.reversed())
            let text = try await store.things(ThingQuery(groupId: home.id, text: "T1"), page: PageRequest(limit: 100))
            #expect(Set(text.items.map(\.name)) == Set((10...19).map { "t\($0)" } + ["t1"]))
        }
    }

    @Test("conflicts, quotas, archived groups and cycles are refused inside the write", arguments: TestStore.available)
    func refusals(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let home = try await store.createGroup(group("Home", limits: [.things: 1]), event: event("", "group_created"))
            var duplicate = group("Dup")
            duplicate.slug = home.slug
            await #expect(throws: OneError.self) { try await store.createGroup(duplicate, event: event("", "group_created")) }
            let first = try await store.createThing(thing(in: home.id), event: event(home.id, "thing_created"))
            do {
                _ = try await store.createThing(thing(in: home.id), event: event(home.id, "thing_created"))
                Issue.record("quota not enforced")
            } catch let error as OneError {
                #expect(error.code == .quotaExceeded)
            }
            let second = try await store.createGroup(group("Second"), event: event("", "group_created"))
            let a = try await store.createThing(thing(in: second.id), event: event(second.id, "thing_created"))
            let now = clock.now()
            let connection = Connection(id: ids.make(.connection), groupId: second.id, fromId: a.id, toId: a.id, type: "references", createdAt: now, updatedAt: now)
            _ = try await store.createConnection(connection, event: event(second.id, "connection_created"))
            var again = connection
            again.id = ids.make(.connection)
            do {
                _ = try await store.createConnection(again, event: event(second.id, "connection_created"))
                Issue.record("duplicate connection accepted")
            } catch let error as OneError {
                #expect(error.code == .conflict)
            }
            var crossing = again
            crossing.fromId = first.id  // a thing of another group
            crossing.type = "owns"
            do {
                _ = try await store.createConnection(crossing, event: event(second.id, "connection_created"))
                Issue.record("cross-group connection accepted")
            } catch let error as OneError {
                #expect(error.code == .notFound)
            }

            let child = try await store.createGroup(group("Child", parent: home.id), event: event("", "group_created"))
            #expect(try await store.ancestorIds(of: child.id) == [home.id])
            #expect(try await store.descendantIds(of: home.id) == [child.id])
            do {
                _ = try await store.updateGroup(id: home.id) { current in
                    var moved = current
                    moved.parentGroupId = child.id
                    return (moved, event(home.id, "group_updated"))
                }
                Issue.record("cycle accepted")
            } catch let error as OneError {
                #expect(error.field == "parentGroupId")
            }
            _ = try await store.updateGroup(id: second.id) { current in
                var archived = current
                archived.status = .archived
                return (archived, event(second.id, "group_archived"))
            }
            do {
                _ = try await store.appendEvent(event(second.id, "dashboard_viewed"))
                Issue.record("archived group accepted a write")
            } catch let error as OneError {
                #expect(error.code == .groupArchived)
            }
        }
    }

    @Test("concurrent writes that fail leave nothing behind, and those beside them still commit", arguments: TestStore.available)
    func concurrentMixedOutcomes(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let home = try await store.createGroup(group("Home"), event: event("", "group_created"))
            let a = try await store.createThing(thing(in: home.id), event: event(home.id, "thing_created"))
            let b = try await store.createThing(thing(in: home.id), event: event(home.id, "thing_created"))
            let before = try await store.events(EventQuery(groupId: home.id), page: PageRequest(limit: 100)).items.count
            // 20 writers race to make the same connection; 20 others make distinct things.
            let outcomes = try await withThrowingTaskGroup(of: String.self) { tasks in
                for index in 0..<40 {
                    tasks.addTask {
                        let now = Clock.system.now()
                        do {
                            if index % 2 == 0 {
                                let connection = Connection(id: IDGenerator().make(.connection), groupId: home.id, fromId: a.id, toId: b.id, type: "owns", createdAt: now, updatedAt: now)
                                _ = try await store.createConnection(connection, event: event(home.id, "connection_created", target: connection.id))
                                return "connected"
                            } else {
                                _ = try await store.createThing(thing(in: home.id, name: "parallel \(index)"), event: event(home.id, "thing_created"))
                                return "thing"
                            }
                        } catch let error as OneError where error.code == .conflict {
                            return "conflict"
                        }
                    }
                }
                return try await tasks.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(outcomes == ["connected": 1, "conflict": 19, "thing": 20])
            let connections = try await store.connections(ConnectionQuery(groupId: home.id), page: PageRequest(limit: 100)).items
            #expect(connections.count == 1)
            let events = try await store.events(EventQuery(groupId: home.id), page: PageRequest(limit: 100)).items
            #expect(events.count == before + 21, "one event per successful write, none for the refused")
            let sequences = events.map(\.sequence)
            #expect(sequences == Array(sequences[0]...(sequences[0] + Int64(sequences.count) - 1)))
        }
    }

    @Test("bootstrap happens once", arguments: TestStore.available)
    func bootstrapOnce(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let service = OneService(store: store, ontology: try Ontology.base())
            let result = try await service.bootstrap()
            #expect(try await store.apiKey(hash: APIKeySecret.hash(result.apiKey))?.role == .platformOwner)
            await #expect(throws: OneError.self) { try await service.bootstrap() }
        }
    }
}
