@testable import OneCore
import Synchronization
import Testing

@Suite("Embedding in batches")
struct BusyEmbedderTests {
    /// Refuses its first `busy` calls as a busy local embedder does, then embeds.
    final class BusyEmbedder: Embedder {
        let model = "busy-test"
        let dimensions = 2
        let refusalsLeft: Mutex<Int>
        let calls = Mutex(0)

        init(busy: Int) { refusalsLeft = Mutex(busy) }

        func embed(_ texts: [String]) async throws -> [[Float]] {
            calls.withLock { $0 += 1 }
            let refused = refusalsLeft.withLock { left in
                defer { left = max(0, left - 1) }
                return left > 0
            }
            if refused { throw OneError(.unavailable, "busy", retryAfter: 1) }
            return texts.map { _ in [1, 0] }
        }
    }

    @Test("new work is refused by a busy embedder; work under way waits and carries on")
    func busy() async throws {
        let refusing = BusyEmbedder(busy: 1)
        let refused = await #expect(throws: OneError.self) { try await refusing.embed(["a", "b"], batchSize: 1) }
        #expect(refused?.code == .unavailable && refused?.retryAfter == 1)
        #expect(refusing.calls.withLock { $0 } == 1, "refused at once, not asked again")

        let continuing = BusyEmbedder(busy: 1)
        #expect(try await continuing.embed(["a", "b"], batchSize: 1, continuing: true).count == 2)
        #expect(continuing.calls.withLock { $0 } == 3, "one refusal, then each batch")

        // A later batch of the same call waits too: only the first may refuse.
        let laterBusy = BusyEmbedder(busy: 0)
        #expect(try await laterBusy.embed(["a", "b", "c"], batchSize: 2).count == 3)
    }
}
