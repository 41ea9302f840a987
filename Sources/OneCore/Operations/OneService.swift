import Synchronization

/// The use cases of the ontology: every operation any transport (REST, CLI, later WebSocket or
/// MCP) performs. Each takes the caller's ``Principal`` or ``Scope`` and does the access check,
/// the validation, the write and its event, so no transport can skip a rule.
public struct OneService: Sendable {
    public let store: any Store
    public let ontology: Ontology
    public let clock: Clock
    public let ids: IDGenerator
    let keyUsage: KeyUsageRecorder
    let keyCache: APIKeyCache

    /// - Parameter keyCacheLifetime: how long (ms) a looked-up API key is trusted before it is
    ///   read again. Revocations through this service take effect at once; revocations made
    ///   elsewhere (another process sharing the store) within this bound.
    public init(store: any Store, ontology: Ontology, clock: Clock = .system, keyCacheLifetime: Timestamp = 1_000) {
        self.store = store
        self.ontology = ontology
        self.clock = clock
        self.ids = IDGenerator(clock: clock)
        self.keyUsage = KeyUsageRecorder()
        self.keyCache = APIKeyCache(lifetime: keyCacheLifetime)
    }

    /// The scope a request acts in: the key's own group, or `groupId` when the key may reach it.
    ///
    /// Unreachable and missing groups are answered alike (404), so a probe learns nothing of
    /// other tenants.
    public func scope(for principal: Principal, groupId: String? = nil) async throws -> Scope {
        guard let groupId, groupId != principal.groupId else {
            return Scope(principal: principal, groupId: principal.groupId)
        }
        _ = try IDKind.group.validate(groupId, field: "X-Group-Id")
        guard try await canReach(principal, groupId: groupId) else { throw OneError.notFound("group") }
        return Scope(principal: principal, groupId: groupId)
    }

    /// Whether `principal` may act in `groupId`: platform owners anywhere, group owners in their
    /// group and its descendants, everyone else only in their own group.
    func canReach(_ principal: Principal, groupId: String) async throws -> Bool {
        if groupId == principal.groupId { return true }
        switch principal.role {
        case .platformOwner:
            return try await store.group(id: groupId) != nil
        case .groupOwner:
            return try await store.ancestorIds(of: groupId).contains(principal.groupId)
        case .groupUser, .customer:
            return false
        }
    }

    /// The groups a principal reaches, or `nil` for all of them (platform owners).
    func reachableGroupIds(_ principal: Principal) async throws -> [String]? {
        switch principal.role {
        case .platformOwner: return nil
        case .groupOwner: return [principal.groupId] + (try await store.descendantIds(of: principal.groupId))
        case .groupUser, .customer: return [principal.groupId]
        }
    }

    func draft(
        _ scope: Scope, _ type: String, target: String?, change: Change? = nil, metadata: JSONValue = [:]
    ) -> EventDraft {
        EventDraft(
            groupId: scope.groupId, type: type, actorId: scope.principal.actorId, targetId: target,
            metadata: metadata, change: change)
    }
}

/// Remembers when each key last recorded its use, so `lastUsedAt` costs one write a minute per
/// key instead of one per request.
final class KeyUsageRecorder: Sendable {
    static let interval: Timestamp = 60_000
    private let lastRecorded = Mutex<[String: Timestamp]>([:])

    /// Whether a use at `now` should be written: true at most once per interval per key.
    func shouldRecord(keyId: String, storedLastUse: Timestamp?, now: Timestamp) -> Bool {
        lastRecorded.withLock { recorded in
            let last = max(recorded[keyId] ?? 0, storedLastUse ?? 0)
            guard now - last >= Self.interval else { return false }
            recorded[keyId] = now
            return true
        }
    }
}

/// API keys recently looked up, by secret digest, so a request costs a dictionary probe rather
/// than a query. Entries live `lifetime` milliseconds; revocation removes them at once, and
/// keeps them out: a lookup that read the key just before the revocation committed cannot put
/// it back.
final class APIKeyCache: Sendable {
    private struct State {
        var entries: [String: (key: APIKey, cachedAt: Timestamp)] = [:]
        var revoked: Set<String> = []
    }

    private let lifetime: Timestamp
    private let state = Mutex(State())

    init(lifetime: Timestamp) { self.lifetime = lifetime }

    func key(hash: String, now: Timestamp) -> APIKey? {
        state.withLock { state in
            guard let entry = state.entries[hash], now - entry.cachedAt < lifetime else { return nil }
            return entry.key
        }
    }

    func store(_ key: APIKey, hash: String, now: Timestamp) {
        guard lifetime > 0 else { return }
        state.withLock { state in
            guard !state.revoked.contains(key.id) else { return }
            if state.entries.count > 10_000 { state.entries.removeAll(keepingCapacity: true) }
            state.entries[hash] = (key, now)
        }
    }

    func evict(keyId: String) {
        state.withLock { state in
            state.entries = state.entries.filter { $0.value.key.id != keyId }
            state.revoked.insert(keyId)
        }
    }
}
