import Testing

@testable import OneCore

/// The per-key state a server keeps in memory stays bounded however many keys it sees.
@Suite("Bounded in-memory state")
struct BoundedStateTests {
    func credential(_ index: Int, personId: String? = nil) -> Credential {
        let key = APIKey(
            id: "key_\(index)", groupId: "grp_g", name: "k", role: .groupUser, personId: personId, prefix: "gsk_x",
            expiresAt: nil, createdAt: 0)
        return Credential(key: key, personRole: personId == nil ? nil : .groupUser)
    }

    @Test("the key cache keeps at most its capacity and drops expired entries first")
    func keyCacheBounded() {
        let cache = CredentialCache<Credential>(lifetime: 1_000)
        for index in 0..<(CredentialCache<Credential>.capacity + 500) {
            let (_, generation) = cache.lookup(hash: "h\(index)", now: Timestamp(index))
            cache.store(credential(index), hash: "h\(index)", now: Timestamp(index), generation: generation)
        }
        #expect(cache.count <= CredentialCache<Credential>.capacity)
        #expect(cache.count > 0)
    }

    @Test("a lookup that began before an eviction cannot put its stale answer back")
    func staleLookupsStayOut() {
        let cache = CredentialCache<Credential>(lifetime: 1_000)
        let (_, generation) = cache.lookup(hash: "h", now: 0)
        cache.evict { $0.key.personId == "usr_p" }
        cache.store(credential(1, personId: "usr_p"), hash: "h", now: 1, generation: generation)
        #expect(cache.lookup(hash: "h", now: 2).0 == nil)
        let (_, fresh) = cache.lookup(hash: "h", now: 2)
        cache.store(credential(1, personId: "usr_p"), hash: "h", now: 2, generation: fresh)
        #expect(cache.lookup(hash: "h", now: 3).0 != nil)
        cache.evict { $0.key.personId == "usr_p" && $0.key.groupId == "grp_g" }
        #expect(cache.lookup(hash: "h", now: 4).0 == nil, "changing the person evicts their keys at once")
    }

    @Test("last-use times are recorded once a minute per key, in a bounded table")
    func usageRecorderBounded() {
        let recorder = KeyUsageRecorder()
        #expect(recorder.shouldRecord(keyId: "k", storedLastUse: nil, now: 100_000))
        #expect(!recorder.shouldRecord(keyId: "k", storedLastUse: nil, now: 100_001))
        for index in 0..<(KeyUsageRecorder.capacity + 100) {
            _ = recorder.shouldRecord(keyId: "key\(index)", storedLastUse: nil, now: 200_000 + Timestamp(index) * 100)
        }
        #expect(recorder.count <= KeyUsageRecorder.capacity)
    }

    @Test("a full table drops its stale entries, and everything when too few are stale")
    func makeRoom() {
        var table = Dictionary(uniqueKeysWithValues: (0..<10).map { ($0, $0) })
        table.makeRoom(capacity: 20) { $0 < 5 }
        #expect(table.count == 10, "below capacity, nothing is dropped")
        table.makeRoom(capacity: 10) { $0 < 7 }
        #expect(table.keys.sorted() == [7, 8, 9], "stale entries go, fresh ones stay")
        var busy = Dictionary(uniqueKeysWithValues: (0..<10).map { ($0, $0) })
        busy.makeRoom(capacity: 10) { $0 == 0 }
        #expect(busy.isEmpty, "freeing less than half starts over, so the next inserts need no scan")
    }
}
