/// The storage port: everything the domain needs from a database, and nothing of its types.
///
/// Reads are one protocol per dimension, each naming its group, so no call reaches another
/// tenant's rows by accident. Every write goes through ``write(_:)``: the domain runs a closure
/// against the small primitives of a ``StoreTransaction`` (read for update, insert, update,
/// append an event, read and add usage), so each rule is written once, in OneCore, and the
/// adapters hold only SQL. Adapters must pass the `StoreConformance` suite.
public protocol Store: GroupStore, PersonStore, ThingStore, ConnectionStore, EventStore, KnowledgeStore,
    APIKeyStore, IdentityStore, SyncStore
{
    /// Answers once the database does; throws when it cannot be reached.
    func ping() async throws

    /// Runs `body` in a transaction and commits it: all of its changes and events, or none.
    ///
    /// A successful return means durable. Adapters may run several writes in one transaction
    /// (group commit), each isolated so that one that throws rolls back alone, and may run
    /// `body` more than once before it commits, so `body` must not act outside the transaction.
    /// Unique-constraint violations surface as ``UniqueViolation``.
    func write<T: Sendable>(_ body: @escaping WriteBody<T>) async throws -> Committed<T>
}

/// A write's work, run inside the store's transaction.
public typealias WriteBody<T> = @Sendable (any StoreTransaction) async throws -> T

/// What a committed write gave back: its value, and the events it appended, as stored (with
/// their sequence numbers), in the order appended.
public struct Committed<Value: Sendable>: Sendable {
    public var value: Value
    public var events: [Event]

    public init(value: Value, events: [Event]) {
        self.value = value
        self.events = events
    }
}

/// A write broke one of the schema's uniqueness rules; the adapter names which, the domain
/// words the error.
public struct UniqueViolation: Error, Sendable, Equatable {
    public enum Rule: Sendable, Equatable {
        /// Two sibling groups with one slug.
        case groupSlug
        /// A second membership of one identity in one group.
        case membership
        /// Two live connections with the same ends and type.
        case liveConnection
        /// Two identities with one email.
        case identityEmail
        /// One provider account linked twice.
        case oauthAccount
        /// One outside ID linked to two records (two syncs creating it at once).
        case syncLink
        case other
    }

    public let rule: Rule

    public init(_ rule: Rule) { self.rule = rule }
}

/// What sync reads: the records outside IDs became, and whose sync secret a digest is.
public protocol SyncStore: Sendable {
    /// The record each of `keys` became in `groupId` and `dimension`; keys never synced are left out.
    func syncLinks(groupId: String, dimension: String, keys: [SyncKey]) async throws -> [SyncKey: String]
    /// The group whose sync secret has this SHA-256 digest.
    func syncSecretGroup(hash: String) async throws -> String?
}

extension PersonStore {
    /// The members of one group, in ID order.
    public func people(groupId: String, page: PageRequest) async throws -> Page<Person> {
        try await people(groupId: groupId, subgroupIds: [], page: page)
    }
}

public protocol GroupStore: Sendable {
    func group(id: String) async throws -> Group?
    /// Groups in ID order, optionally only children of `parentId` and only among `ids`.
    func groups(parentId: String?, among ids: [String]?, page: PageRequest) async throws -> Page<Group>
    /// The chain of parents of a group, nearest first.
    func ancestorIds(of id: String) async throws -> [String]
    /// Every group below `id`, at any depth.
    func descendantIds(of id: String) async throws -> [String]
    /// The group's usage counters; `nil` when there is no such group.
    func usage(of groupId: String) async throws -> GroupUsage?
}

public protocol PersonStore: Sendable {
    /// A person as a member of `groupId`, by the ID that group knows them by.
    func person(id: String, groupId: String) async throws -> Person?
    /// The members of `groupId`, and of `subgroupIds` when given (`includeChildren`), in ID order.
    func people(groupId: String, subgroupIds: [String], page: PageRequest) async throws -> Page<Person>
    /// The members of a group among `ids`, in ID order.
    func people(ids: [String], groupId: String) async throws -> [Person]
    /// The memberships of the identity behind `personId` in `groupId`, only in `among` groups
    /// when given; each names the person by the ID its own group knows them by.
    func memberships(personId: String, groupId: String, among groupIds: [String]?) async throws -> [Membership]
}

public protocol ThingStore: Sendable {
    func thing(id: String, groupId: String) async throws -> Thing?
    func things(_ query: ThingQuery, page: PageRequest) async throws -> Page<Thing>
    /// The live things of a group among `ids`, in ID order.
    func liveThings(ids: [String], groupId: String) async throws -> [Thing]
}

/// Filters for listing things, newest first. Archived things are left out unless asked for.
public struct ThingQuery: Sendable, Equatable {
    public var groupId: String
    /// Groups below `groupId` whose records are listed too (`includeChildren`); set by the domain.
    public var subgroupIds: [String] = []
    public var type: String?
    public var status: String?
    /// Case-insensitive text to find in the name.
    public var text: String?
    /// Tags a thing must carry, each with the value given (any value when `nil`).
    public var tags: [TagFilter]

    public init(groupId: String, type: String? = nil, status: String? = nil, text: String? = nil, tags: [TagFilter] = []) {
        self.groupId = groupId
        self.type = type
        self.status = status
        self.text = text
        self.tags = tags
    }

    /// `text` as a SQL `LIKE` pattern matching it anywhere, with `\\` as the escape character
    /// so `%` and `_` in the text match themselves.
    public var containsPattern: String? {
        text.map { text in
            var pattern = "%"
            for character in text {
                if character == "%" || character == "_" || character == "\\" { pattern.append("\\") }
                pattern.append(character)
            }
            return pattern + "%"
        }
    }
}

public protocol ConnectionStore: Sendable {
    func connection(id: String, groupId: String) async throws -> Connection?
    func connections(_ query: ConnectionQuery, page: PageRequest) async throws -> Page<Connection>
    /// Live connections of a group leaving (`outgoing`) or entering (`incoming`) any of `ids`,
    /// of one of `types` when any are given, in ID order, at most `limit`.
    func adjacentConnections(
        of ids: [String], outgoing: Bool, incoming: Bool, types: [String], groupId: String, limit: Int
    ) async throws -> [Connection]
}

/// Filters for listing live connections, newest first.
public struct ConnectionQuery: Sendable, Equatable {
    public var groupId: String
    /// Groups below `groupId` whose records are listed too (`includeChildren`); set by the domain.
    public var subgroupIds: [String] = []
    public var fromId: String?
    public var toId: String?
    /// Connections with this thing at either end.
    public var touching: String?
    public var type: String?

    public init(groupId: String, fromId: String? = nil, toId: String? = nil, touching: String? = nil, type: String? = nil) {
        self.groupId = groupId
        self.fromId = fromId
        self.toId = toId
        self.touching = touching
        self.type = type
    }
}

public protocol EventStore: Sendable {
    func event(id: String, groupId: String) async throws -> Event?
    /// Events in sequence order; `page.after` is a sequence number.
    func events(_ query: EventQuery, page: PageRequest) async throws -> Page<Event>
    /// Every group's events with a sequence above `sequence`, ascending, at most `limit`, as
    /// the entries realtime delivery follows (where and what, not the contents). Never served
    /// to a tenant as it is.
    func changeLog(after sequence: Int64, limit: Int) async throws -> [ChangeLogEntry]
    /// The sequence of the newest event; 0 when there is none.
    func lastSequence() async throws -> Int64
}

/// Filters for listing events.
public struct EventQuery: Sendable, Equatable {
    public var groupId: String
    /// Groups below `groupId` whose records are listed too (`includeChildren`); set by the domain.
    public var subgroupIds: [String] = []
    public var type: String?
    public var actorId: String?
    public var targetId: String?
    /// Inclusive bounds on `timestamp`.
    public var since: Timestamp?
    public var until: Timestamp?
    public var newestFirst: Bool

    public init(
        groupId: String, type: String? = nil, actorId: String? = nil, targetId: String? = nil,
        since: Timestamp? = nil, until: Timestamp? = nil, newestFirst: Bool = false
    ) {
        self.groupId = groupId
        self.type = type
        self.actorId = actorId
        self.targetId = targetId
        self.since = since
        self.until = until
        self.newestFirst = newestFirst
    }
}

public protocol KnowledgeStore: Sendable {
    func knowledge(id: String, groupId: String) async throws -> Knowledge?
    func knowledge(_ query: KnowledgeQuery, page: PageRequest) async throws -> Page<Knowledge>
    /// Live knowledge of a group by ID, in no particular order; IDs not found are left out.
    func knowledge(ids: [String], groupId: String) async throws -> [Knowledge]
    /// A page of the group's live chunks in ID order, after `id` (from the first when `nil`),
    /// each with its vector when `model` embedded it.
    func indexedChunks(groupId: String, model: String, after id: String?, limit: Int) async throws -> [IndexedChunk]
    /// Chunks of the group created (with a vector when `model` embedded them) or deleted after `sequence`, from
    /// the event log (its knowledge events only, at most `limit` of them).
    func indexedChunkChanges(groupId: String, model: String, after sequence: Int64, limit: Int) async throws -> IndexedChunkChanges
    /// Up to `limit` of the group's live chunks that `model` did not embed, in ID order, and
    /// how many such chunks there are in all.
    func chunksNotEmbedded(by model: String, groupId: String, limit: Int) async throws -> (chunks: [Knowledge], total: Int)
    /// The AI tokens the group and the groups below it have used, all time.
    func aiTokensUsed(groupId: String) async throws -> Int
}

/// Filters for listing live knowledge, newest first.
public struct KnowledgeQuery: Sendable, Equatable {
    public var groupId: String
    /// Groups below `groupId` whose records are listed too (`includeChildren`); set by the domain.
    public var subgroupIds: [String] = []
    public var type: String?
    public var label: String?
    public var sourceThingId: String?

    public init(groupId: String, type: String? = nil, label: String? = nil, sourceThingId: String? = nil) {
        self.groupId = groupId
        self.type = type
        self.label = label
        self.sourceThingId = sourceThingId
    }
}

public protocol APIKeyStore: Sendable {
    /// The key whose secret has this digest, in any group, with the current role of the person
    /// it acts as: the one unscoped lookup, used to authenticate. Served by an index on the digest.
    func credential(hash: String) async throws -> Credential?
    func apiKey(id: String, groupId: String) async throws -> APIKey?
    /// A key by ID in any group, for operators (`one keys revoke`).
    func apiKey(id: String) async throws -> APIKey?
    func apiKeys(groupId: String, page: PageRequest) async throws -> Page<APIKey>
    /// Records that a key was used; callers throttle this, it is not a per-request write and
    /// no event records it.
    func touchAPIKey(id: String, at time: Timestamp) async throws
}

/// An API key as authentication finds it: the key, and when it acts as a person, that
/// person's role in the key's group now (`nil` when they are no longer a member there).
public struct Credential: Sendable, Equatable {
    public var key: APIKey
    public var personRole: Role?

    public init(key: APIKey, personRole: Role?) {
        self.key = key
        self.personRole = personRole
    }
}
