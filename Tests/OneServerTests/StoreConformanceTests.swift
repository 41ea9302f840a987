import Foundation
import OneCore
import Testing

/// The `Store` contract, checked directly against every adapter (SQLite always, PostgreSQL when
/// configured): the transaction primitives must give the same answers on both, and the domain's
/// tenant-tree rules, written once over them, must hold on both.
@Suite("Store conformance")
struct StoreConformanceTests {
    let ids = IDGenerator()

    func group(_ name: String, parent: String? = nil, limits: [QuotaResource: Int]? = nil) -> Group {
        let now = Clock.system.now()
        return Group(
            id: ids.make(.group), slug: "\(name.lowercased())-\(UUID().uuidString.prefix(6).lowercased())", name: name,
            type: "business", parentGroupId: parent, settings: GroupSettings(limits: limits), createdAt: now, updatedAt: now)
    }

    func thing(in groupId: String, name: String = "thing") -> Thing {
        let now = Clock.system.now()
        return Thing(id: ids.make(.thing), groupId: groupId, type: "course", name: name, properties: ["n": 1], createdAt: now, updatedAt: now)
    }

    func event(_ groupId: String, _ type: String, target: String? = nil) -> EventDraft {
        EventDraft(groupId: groupId, type: type, actorId: nil, targetId: target)
    }

    /// Inserts groups in one write, each with its event.
    func insert(_ groups: Group..., into store: any Store) async throws {
        _ = try await store.write { transaction in
            for group in groups {
                try await transaction.insertGroup(group)
                try await transaction.append(EventDraft(groupId: group.id, type: "group_created", actorId: nil, targetId: group.id))
            }
        }
    }

    @Test("records written through the primitives read back unchanged, scoped to their group", arguments: TestStore.available)
    func roundTrips(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let home = group("Home")
            let other = group("Other")
            try await insert(home, other, into: store)
            var draft = thing(in: home.id)
            draft.properties = ["big": .integer(9_007_199_254_740_993), "f": 0.1, "deep": ["a": ["b": [1, 2]]]]
            let made = draft
            let committed = try await store.write { transaction in
                try await transaction.insertThing(made)
                try await transaction.append(event(home.id, "thing_created", target: made.id))
                try await transaction.append(event(home.id, "thing_tagged", target: made.id))
                return made.id
            }
            #expect(committed.value == made.id)
            #expect(committed.events.map(\.type) == ["thing_created", "thing_tagged"])
            #expect(committed.events[1].sequence == committed.events[0].sequence + 1)
            #expect(try await store.thing(id: made.id, groupId: home.id) == made)
            #expect(try await store.thing(id: made.id, groupId: other.id) == nil)
            let stored = try await store.events(EventQuery(groupId: home.id, targetId: made.id), page: PageRequest(limit: 10)).items
            #expect(stored == committed.events)

            let read = try await store.write { transaction in
                (try await transaction.thingForUpdate(id: made.id, groupId: home.id),
                 try await transaction.thingForUpdate(id: made.id, groupId: other.id))
            }.value
            #expect(read.0 == made && read.1 == nil)

            var renaming = made
            renaming.name = "renamed"
            renaming.deletedAt = 5
            let renamed = renaming
            _ = try await store.write { try await $0.updateThing(renamed) }
            #expect(try await store.thing(id: made.id, groupId: home.id) == renamed)

            // A person: an identity, known to each group by an ID of its own.
            let now = Clock.system.now()
            let inHome = Person(id: ids.make(.person), groupId: home.id, email: "p@example.com", name: "P", role: .groupUser, createdAt: now, updatedAt: now)
            let inOther = Person(id: ids.make(.person), groupId: other.id, email: "p@example.com", name: "Q", role: .customer, createdAt: now, updatedAt: now)
            let identities = try await store.write { transaction in
                var identities: [String] = []
                for person in [inHome, inOther] {
                    let identity = try await transaction.identity(email: person.email, newIdentityId: self.ids.make(.identity), createdAt: now)
                    try await transaction.insertMembership(person, identityId: identity, membershipId: self.ids.make(.membership))
                    identities.append(identity)
                }
                return identities
            }.value
            #expect(identities[0] == identities[1], "one identity per email")
            #expect(try await store.person(id: inHome.id, groupId: home.id) == inHome)
            #expect(try await store.person(id: inHome.id, groupId: other.id) == nil, "each group knows its own ID only")
            let memberships = try await store.memberships(personId: inOther.id, groupId: other.id, among: nil)
            #expect(Set(memberships.map(\.personId)) == [inHome.id, inOther.id])

            // A key bound to the person: authentication sees the person's role now.
            let key = APIKey(id: ids.make(.apiKey), groupId: home.id, name: "k", role: .groupOwner, personId: inHome.id, prefix: "gsk_x", expiresAt: nil, createdAt: now)
            _ = try await store.write { try await $0.insertAPIKey(key, hash: "hash-\(key.id)") }
            #expect(try await store.credential(hash: "hash-\(key.id)") == Credential(key: key, personRole: .groupUser))
            var promoting = inHome
            promoting.role = .groupOwner
            let promoted = promoting
            let removed = try await store.write { transaction in
                try await transaction.updateMembership(promoted)
                let locked = try await transaction.personForUpdate(id: inHome.id, groupId: home.id)
                let keys = try await transaction.activeAPIKeyIds(personId: inHome.id, groupId: home.id)
                return (locked, keys)
            }.value
            #expect(removed.0 == promoted && removed.1 == [key.id])
            #expect(try await store.credential(hash: "hash-\(key.id)")?.personRole == .groupOwner)
            let deleted = try await store.write { transaction in
                (try await transaction.deleteMembership(personId: inHome.id, groupId: home.id),
                 try await transaction.deleteMembership(personId: inHome.id, groupId: home.id))
            }.value
            #expect(deleted == (true, false))
            #expect(try await store.credential(hash: "hash-\(key.id)")?.personRole == nil)
        }
    }

    @Test("the group chain runs from the group to the root; usage adds up and is seen inside the write", arguments: TestStore.available)
    func chainAndUsage(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let root = group("Root")
            let middle = group("Middle", parent: root.id)
            let leaf = group("Leaf", parent: middle.id)
            try await insert(root, middle, leaf, into: store)
            let chain = try await store.write { try await $0.groupChain(of: leaf.id) }.value
            #expect(chain.map(\.id) == [leaf.id, middle.id, root.id])
            #expect(try await store.write { try await $0.groupChain(of: self.ids.make(.group)) }.value.isEmpty)
            #expect(try await store.usage(of: leaf.id) == GroupUsage())

            let chainIds = [leaf.id, middle.id, root.id]
            let bounds: [String: UsageBound] = [root.id: [.things: 2], middle.id: [.groups: 0]]
            let seen = try await store.write { transaction in
                let first = try await transaction.addUsage(.one(.things), own: leaf.id, subtreeOf: chainIds, within: bounds)
                let second = try await transaction.addUsage(.one(.things), own: leaf.id, subtreeOf: chainIds, within: bounds)
                let third = try await transaction.addUsage(.one(.things), own: leaf.id, subtreeOf: chainIds, within: bounds)
                return (first + second, third, try await transaction.usageForUpdate(of: [root.id, leaf.id]))
            }.value
            #expect(seen.0.isEmpty, "within the bound, both are added")
            #expect(seen.1 == [root.id], "past the bound, nothing is added and the group is named")
            let after = seen.2
            #expect(after[root.id] == GroupUsage(own: .zero, subtree: UsageCounts(things: 2)))
            #expect(after[leaf.id] == GroupUsage(own: UsageCounts(things: 2), subtree: UsageCounts(things: 2)))
            #expect(try await store.usage(of: middle.id) == GroupUsage(own: .zero, subtree: UsageCounts(things: 2)))
            _ = try await store.write { try await $0.addUsage(-UsageCounts.one(.things), own: leaf.id, subtreeOf: [leaf.id, middle.id], within: [:]) }
            #expect(try await store.usage(of: leaf.id)?.own.things == 1)
            #expect(try await store.usage(of: root.id)?.subtree.things == 2)
        }
    }

    @Test("a write that throws leaves no row, event or usage behind, while the writes beside it commit", arguments: TestStore.available)
    func failedWritesRollBackAlone(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let home = group("Home")
            try await insert(home, into: store)
            struct Refused: Error {}
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { tasks in
                for index in 0..<40 {
                    tasks.addTask {
                        do {
                            _ = try await store.write { transaction in
                                let made = self.thing(in: home.id, name: "t\(index)")
                                try await transaction.insertThing(made)
                                _ = try await transaction.addUsage(.one(.things), own: home.id, subtreeOf: [home.id], within: [:])
                                try await transaction.append(self.event(home.id, "thing_created", target: made.id))
                                if index % 2 == 1 { throw Refused() }
                            }
                            return true
                        } catch is Refused {
                            return false
                        }
                    }
                }
                return try await tasks.reduce(into: [Bool: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(outcomes == [true: 20, false: 20])
            #expect(try await store.things(ThingQuery(groupId: home.id), page: PageRequest(limit: 100)).items.count == 20)
            #expect(try await store.usage(of: home.id)?.own.things == 20)
            let events = try await store.events(EventQuery(groupId: home.id), page: PageRequest(limit: 100)).items
            #expect(events.filter { $0.type == "thing_created" }.count == 20)
            let sequences = events.map(\.sequence)
            #expect(sequences == Array(sequences[0]...(sequences[0] + Int64(sequences.count) - 1)), "no gaps")
        }
    }

    @Test("broken uniqueness rules surface as the rule they broke", arguments: TestStore.available)
    func uniqueViolations(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let home = group("Home")
            try await insert(home, into: store)
            var twin = group("Twin")
            twin.slug = home.slug
            await #expect(throws: UniqueViolation(.groupSlug)) { try await insert(twin, into: store) }
            let (a, b) = (thing(in: home.id), thing(in: home.id))
            let now = Clock.system.now()
            let link = Connection(id: ids.make(.connection), groupId: home.id, fromId: a.id, toId: b.id, type: "owns", createdAt: now, updatedAt: now)
            _ = try await store.write { transaction in
                try await transaction.insertThing(a)
                try await transaction.insertThing(b)
                try await transaction.insertConnection(link)
            }
            var duplicate = link
            duplicate.id = ids.make(.connection)
            let again = duplicate
            await #expect(throws: UniqueViolation(.liveConnection)) { _ = try await store.write { try await $0.insertConnection(again) } }
            let person = Person(id: ids.make(.person), groupId: home.id, email: "u@example.com", name: "U", role: .groupUser, createdAt: now, updatedAt: now)
            for attempt in 0..<2 {
                var next = person
                next.id = attempt == 0 ? person.id : ids.make(.person)
                let member = next
                let write = {
                    _ = try await store.write { transaction in
                        let identity = try await transaction.identity(email: member.email, newIdentityId: self.ids.make(.identity), createdAt: now)
                        try await transaction.insertMembership(member, identityId: identity, membershipId: self.ids.make(.membership))
                    }
                }
                if attempt == 0 { try await write() } else { await #expect(throws: UniqueViolation(.membership)) { try await write() } }
            }
        }
    }

    @Test("limits bound the whole subtree: a concurrent burst at every level admits exactly the limit", arguments: TestStore.available)
    func subtreeLimitsUnderConcurrency(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let service = OneService(store: store, ontology: try Ontology.base())
            let platform = try await service.bootstrap()
            let owner = try await service.authenticate(secret: platform.apiKey)
            let top = try await service.scope(for: owner)
            let root = try await service.createGroup(NewGroup(name: "Root", settings: GroupSettings(limits: [.things: 12])), in: top)
            let child = try await service.createGroup(NewGroup(name: "Child", parentGroupId: root.id), in: top)
            let grandchild = try await service.createGroup(NewGroup(name: "Grandchild", parentGroupId: child.id), in: top)
            let levels = [root.id, child.id, grandchild.id]
            let outcomes = try await withThrowingTaskGroup(of: String.self) { tasks in
                for index in 0..<36 {
                    tasks.addTask {
                        let scope = try await service.scope(for: owner, groupId: levels[index % 3])
                        do {
                            _ = try await service.createThing(NewThing(type: "course", name: "t\(index)"), in: scope)
                            return "created"
                        } catch let error as OneError where error.code == .quotaExceeded {
                            return "refused"
                        }
                    }
                }
                return try await tasks.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(outcomes == ["created": 12, "refused": 24])
            var counted = 0
            for id in levels {
                let rows = try await store.things(ThingQuery(groupId: id), page: PageRequest(limit: 100)).items.count
                #expect(try await store.usage(of: id)?.own.things == rows, "counters match the rows")
                counted += rows
            }
            #expect(counted == 12)
            #expect(try await store.usage(of: root.id)?.subtree.things == 12)
            #expect(try await store.usage(of: root.id)?.subtree.groups == 2)
            #expect(try await store.usage(of: child.id)?.own.groups == 1)
        }
    }

    @Test("moving a group carries its subtree's usage to its new ancestors, within their limits", arguments: TestStore.available)
    func movesCarryUsage(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let service = OneService(store: store, ontology: try Ontology.base())
            let platform = try await service.bootstrap()
            let owner = try await service.authenticate(secret: platform.apiKey)
            let top = try await service.scope(for: owner)
            let from = try await service.createGroup(NewGroup(name: "From"), in: top)
            let tight = try await service.createGroup(NewGroup(name: "Tight", settings: GroupSettings(limits: [.things: 1])), in: top)
            let roomy = try await service.createGroup(NewGroup(name: "Roomy", settings: GroupSettings(limits: [.things: 2, .groups: 2])), in: top)
            let moving = try await service.createGroup(NewGroup(name: "Moving", parentGroupId: from.id), in: top)
            let below = try await service.createGroup(NewGroup(name: "Below", parentGroupId: moving.id), in: top)
            _ = try await service.createThing(NewThing(type: "course", name: "a"), in: try await service.scope(for: owner, groupId: moving.id))
            _ = try await service.createThing(NewThing(type: "course", name: "b"), in: try await service.scope(for: owner, groupId: below.id))
            #expect(try await store.usage(of: from.id)?.subtree == UsageCounts(groups: 2, things: 2))

            let refused = await #expect(throws: OneError.self) {
                _ = try await service.updateGroup(id: moving.id, GroupPatch(parentGroupId: tight.id), as: owner)
            }
            #expect(refused?.code == .quotaExceeded)
            #expect(try await store.group(id: moving.id)?.parentGroupId == from.id, "a refused move changes nothing")

            _ = try await service.updateGroup(id: moving.id, GroupPatch(parentGroupId: roomy.id), as: owner)
            #expect(try await store.usage(of: from.id) == GroupUsage())
            #expect(try await store.usage(of: roomy.id) == GroupUsage(
                own: UsageCounts(groups: 1), subtree: UsageCounts(groups: 2, things: 2)))
            #expect(try await store.usage(of: moving.id)?.subtree == UsageCounts(groups: 1, things: 2), "the moved subtree's own counters stay")
            let full = await #expect(throws: OneError.self) {
                _ = try await service.createThing(NewThing(type: "course", name: "c"), in: try await service.scope(for: owner, groupId: below.id))
            }
            #expect(full?.code == .quotaExceeded, "the new ancestor's limit now bounds the moved subtree")
        }
    }

    @Test("an archived group freezes its subtree until it is restored", arguments: TestStore.available)
    func archivedSubtrees(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let service = OneService(store: store, ontology: try Ontology.base())
            let platform = try await service.bootstrap()
            let owner = try await service.authenticate(secret: platform.apiKey)
            let top = try await service.scope(for: owner)
            let root = try await service.createGroup(NewGroup(name: "Root"), in: top)
            let child = try await service.createGroup(NewGroup(name: "Child", parentGroupId: root.id), in: top)
            let inChild = try await service.scope(for: owner, groupId: child.id)
            _ = try await service.archiveGroup(id: root.id, as: owner)
            let before = try await store.events(EventQuery(groupId: child.id), page: PageRequest(limit: 100)).items
            for write in [
                { _ = try await service.createThing(NewThing(type: "course", name: "x"), in: inChild) },
                { _ = try await service.createGroup(NewGroup(name: "Below", parentGroupId: child.id), in: top) },
                { _ = try await service.updateGroup(id: child.id, GroupPatch(name: "Renamed"), as: owner) },
                { _ = try await service.invitePerson(NewPerson(email: "new@example.com"), in: inChild) },
                { _ = try await service.createAPIKey(NewAPIKey(name: "k"), in: inChild) },
            ] as [@Sendable () async throws -> Void] {
                let error = await #expect(throws: OneError.self) { try await write() }
                #expect(error?.code == .groupArchived)
            }
            #expect(try await store.events(EventQuery(groupId: child.id), page: PageRequest(limit: 100)).items == before)
            _ = try await service.updateGroup(id: root.id, GroupPatch(status: .active), as: owner)
            _ = try await service.createThing(NewThing(type: "course", name: "x"), in: inChild)
        }
    }

    @Test("bootstrap happens once", arguments: TestStore.available)
    func bootstrapOnce(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let service = OneService(store: store, ontology: try Ontology.base())
            let result = try await service.bootstrap()
            let credential = try await store.credential(hash: APIKeySecret.hash(result.apiKey))
            #expect(credential?.key.role == .platformOwner && credential?.personRole == .platformOwner)
            await #expect(throws: OneError.self) { try await service.bootstrap() }
            #expect(try await store.usage(of: result.groupId)?.own.people == 1)
        }
    }
}
