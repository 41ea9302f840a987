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
    let keyCache: CredentialCache<Credential>
    let sessionCache: CredentialCache<SessionCredential>
    let sessionSlides: KeyUsageRecorder
    let groupRequestLimits: GroupRequestLimits
    /// The allowance of each signed-in session, as a key's `rateLimit` is for keys.
    public let sessionRateLimit: RateLimit
    /// Raised after every commit made through this service, for the realtime hub.
    public let commits = CommitSignal()
    /// Embeds chunks as they are written and queries as they are searched.
    public let embedder: any Embedder
    /// Answers `/api/ai` requests.
    public let generator: any TextGenerator
    /// How documents are cut into chunks.
    public let chunker: Chunker
    let chunkIndexes: ChunkIndexes

    /// - Parameter keyCacheLifetime: how long (ms) a looked-up API key is trusted before it is
    ///   read again. Revocations through this service take effect at once; revocations made
    ///   elsewhere (another process sharing the store) within this bound.
    public init(
        store: any Store, ontology: Ontology, clock: Clock = .system, keyCacheLifetime: Timestamp = 1_000,
        sessionRateLimit: RateLimit = .default, embedder: any Embedder = LexicalEmbedder(),
        generator: any TextGenerator = ExtractiveGenerator(), chunker: Chunker = Chunker(),
        chunkIndexes: ChunkIndexes = ChunkIndexes()
    ) {
        self.embedder = embedder
        self.generator = generator
        self.chunker = chunker
        self.chunkIndexes = chunkIndexes
        self.store = store
        self.ontology = ontology
        self.clock = clock
        self.ids = IDGenerator(clock: clock)
        self.keyUsage = KeyUsageRecorder()
        self.keyCache = CredentialCache(lifetime: keyCacheLifetime)
        self.sessionCache = CredentialCache(lifetime: keyCacheLifetime)
        self.sessionSlides = KeyUsageRecorder()
        self.groupRequestLimits = GroupRequestLimits()
        self.sessionRateLimit = sessionRateLimit
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

    /// The groups below the scope's, for a list asked to include them (`includeChildren`):
    /// only owners reach them, so anyone else is refused rather than quietly given less.
    func subgroupIds(of scope: Scope, include: Bool) async throws -> [String] {
        guard include else { return [] }
        guard scope.principal.role >= .groupOwner else {
            throw OneError(
                .forbidden, "includeChildren lists the groups below, which only a group_owner or platform_owner reaches",
                field: "includeChildren")
        }
        return try await store.descendantIds(of: scope.groupId)
    }

    func draft(
        _ scope: Scope, _ type: String, target: String?, change: Change? = nil, metadata: JSONValue = [:]
    ) -> EventDraft {
        EventDraft(
            groupId: scope.groupId, type: type, actorId: scope.principal.actorId, targetId: target,
            metadata: metadata, change: change)
    }

    /// Runs `body` as one store transaction, wording broken uniqueness rules as conflicts.
    ///
    /// Inside ``atomically(_:)`` the body joins that transaction instead; its events are known
    /// only once the whole of it commits, so `events` is empty then.
    public func commit<T: Sendable>(_ body: @escaping WriteBody<T>) async throws -> Committed<T> {
        if let ambient = AtomicWrite.current {
            return Committed(value: try await body(ambient.transaction), events: [])
        }
        do {
            let committed = try await store.write(body)
            if let last = committed.events.last { commits.raise(to: last.sequence) }
            return committed
        } catch let violation as UniqueViolation {
            throw OneError.conflict(violation.message)
        }
    }

    /// Runs `work` so that every write it makes through this service commits in one
    /// transaction, or none does: the operations keep their own checks, validation and events.
    ///
    /// Reads made outside a write (the store's own reads) see what is committed, not what
    /// `work` has written so far. `work` may run more than once before it commits, like any
    /// write body, so it must not act outside the store.
    public func atomically<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        guard AtomicWrite.current == nil else { return try await work() }
        return try await write { transaction in
            try await AtomicWrite.$current.withValue(AtomicWrite(transaction: transaction)) { try await work() }
        }
    }

    /// Whether the caller runs inside ``atomically(_:)``.
    public var isAtomic: Bool { AtomicWrite.current != nil }

    /// ``commit(_:)``, for the value alone.
    public func write<T: Sendable>(_ body: @escaping WriteBody<T>) async throws -> T {
        try await commit(body).value
    }
}

/// The transaction ``OneService/atomically(_:)`` gathers writes into, for the task running it.
///
/// A transaction is not `Sendable`: it belongs to the one task that runs the write body. The
/// task-local hands it only to that task's own awaited calls, one at a time, never to another
/// task running in parallel, which is what makes the unchecked conformance sound.
private struct AtomicWrite: @unchecked Sendable {
    let transaction: any StoreTransaction

    @TaskLocal static var current: AtomicWrite?
}

extension UniqueViolation {
    /// What the client is told: which rule its write broke.
    var message: String {
        switch rule {
        case .groupSlug: "a group with this slug already exists beside it"
        case .membership: "this person is already a member of the group"
        case .liveConnection: "a connection with the same fromId, toId and type already exists"
        case .identityEmail: "an account with this email already exists"
        case .oauthAccount: "this provider account is already linked"
        case .syncLink: "this externalId was synced by another request at the same time; send it again"
        case .other: "this record conflicts with an existing one"
        }
    }
}

/// Remembers when each key last recorded its use, so `lastUsedAt` costs one write a minute per
/// key instead of one per request. Entries older than the interval say nothing the stored
/// value does not, so they are dropped once the table grows.
final class KeyUsageRecorder: Sendable {
    static let interval: Timestamp = 60_000
    static let capacity = 10_000
    private let lastRecorded = Mutex<[String: Timestamp]>([:])

    /// Whether a use at `now` should be written: true at most once per interval per key.
    func shouldRecord(keyId: String, storedLastUse: Timestamp?, now: Timestamp) -> Bool {
        lastRecorded.withLock { recorded in
            let last = max(recorded[keyId] ?? 0, storedLastUse ?? 0)
            guard now - last >= Self.interval else { return false }
            recorded.makeRoom(capacity: Self.capacity) { now - $0 >= Self.interval }
            recorded[keyId] = now
            return true
        }
    }

    var count: Int { lastRecorded.withLock { $0.count } }
}
