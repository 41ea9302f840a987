import Foundation
import OneCore
import OnePostgres
import Synchronization
import Testing

/// The event sequence feeds change streams, so it must be gap-free in commit order as readers
/// see it: with many concurrent writers, a reader that has seen sequence n must never later
/// find a newly visible event at or below n. A reader polling "everything after n" therefore
/// always finds exactly n+1, n+2, … with no hole it could skip past.
/// A flag one task raises and another reads.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

@Suite("Event sequence")
struct EventSequenceTests {
    @Test("concurrent writers on several nodes never let a reader skip an event", arguments: TestStore.available)
    func gapFreeInCommitOrder(kind: TestStore) async throws {
        try await kind.withFreshStore { store, location in
            let service = OneService(store: store, ontology: try Ontology.base())
            let platform = try await service.bootstrap()
            let groupId = platform.groupId
            let baseline = try await store.events(EventQuery(groupId: groupId, newestFirst: true), page: PageRequest(limit: 1)).items.first?.sequence ?? 0

            // Several nodes: on PostgreSQL each writer set gets its own store and connection pool.
            var nodes: [any Store] = [store]
            if kind == .postgres {
                for _ in 0..<2 { nodes.append(try PostgresStore(url: location)) }
            }
            let writersPerNode = 4
            let eventsPerWriter = 40
            let total = nodes.count * writersPerNode * eventsPerWriter
            let done = Flag()

            try await withThrowingTaskGroup(of: Void.self) { group in
                for node in nodes.dropFirst() { group.addTask { await (node as! PostgresStore).run() } }
                // The reader.
                let readerResult = Task { () -> (seen: Int, violations: [String]) in
                    var last = baseline
                    var violations: [String] = []
                    var seen = 0
                    while seen < total {
                        // Read the flag before querying: an empty page only proves something when
                        // every writer had already returned before the query began.
                        let writersDone = done.isSet
                        let page = try await store.events(EventQuery(groupId: groupId), page: PageRequest(limit: 100, after: String(last)))
                        for event in page.items {
                            if event.sequence != last + 1 { violations.append("after \(last) the reader found \(event.sequence)") }
                            last = event.sequence
                            seen += 1
                        }
                        if page.items.isEmpty {
                            if writersDone { violations.append("writers done, reader saw only \(seen)"); break }
                            try await Task.sleep(for: .milliseconds(1))
                        }
                    }
                    return (seen, violations)
                }
                try await withThrowingTaskGroup(of: Void.self) { writers in
                    for (index, node) in nodes.enumerated() {
                        for writer in 0..<writersPerNode {
                            writers.addTask {
                                for number in 0..<eventsPerWriter {
                                    // Alternate plain appends and multi-statement writes so transactions differ in length.
                                    if number % 2 == 0 {
                                        let draft = EventDraft(groupId: groupId, type: "task_event", actorId: nil, targetId: nil, metadata: ["node": .integer(Int64(index)), "writer": .integer(Int64(writer))])
                                        _ = try await node.write { try await $0.append(draft) }
                                    } else {
                                        let now = Clock.system.now()
                                        let thing = Thing(id: IDGenerator().make(.thing), groupId: groupId, type: "course", name: "n\(index)w\(writer)", createdAt: now, updatedAt: now)
                                        _ = try await node.write { transaction in
                                            try await transaction.insertThing(thing)
                                            try await transaction.append(EventDraft(groupId: groupId, type: "thing_created", actorId: nil, targetId: thing.id))
                                        }
                                    }
                                }
                            }
                        }
                    }
                    try await writers.waitForAll()
                }
                done.set()
                let (seen, violations) = try await readerResult.value
                #expect(seen == total)
                #expect(violations.isEmpty, "\(violations.prefix(5))")
                group.cancelAll()
            }
            let all = try await store.events(EventQuery(groupId: groupId, newestFirst: true), page: PageRequest(limit: 1)).items.first?.sequence
            #expect(all == baseline + Int64(total))
        }
    }
}
