/// The storage port: everything the domain needs from a database, and nothing of its types.
///
/// Each dimension has its own small protocol; ``Store`` is all of them. Every tenant read and
/// write names its group, so no call can reach another tenant's rows by accident. Writes are
/// atomic: the change, its quota and archive checks (through ``Group/admitWrite(adding:currentCount:)``)
/// and its audit event commit together or not at all, and a successful return means durable.
///
/// Updates are read-modify-write: the adapter reads the current record inside the transaction
/// and calls `body`, a pure domain function, for the new record and its event. Adapters must
/// pass the `StoreConformance` suite.
public protocol Store: GroupStore, PersonStore, ThingStore, ConnectionStore, EventStore, KnowledgeStore,
    APIKeyStore
{
    /// Answers once the database does; throws when it cannot be reached.
    func ping() async throws

    /// Writes the first group, its owner and their platform key into an empty store, atomically.
    /// Throws `ALREADY_INITIALIZED` when any group exists.
    func bootstrap(_ seed: BootstrapSeed) async throws
}

/// What ``Store/bootstrap(_:)`` writes.
public struct BootstrapSeed: Sendable {
    public var group: Group
    public var person: Person
    public var membershipId: String
    public var key: APIKey
    public var keyHash: String
    public var events: [EventDraft]

    public init(group: Group, person: Person, membershipId: String, key: APIKey, keyHash: String, events: [EventDraft]) {
        self.group = group
        self.person = person
        self.membershipId = membershipId
        self.key = key
        self.keyHash = keyHash
        self.events = events
    }
}

/// A read-modify-write step: the new record and the event that records the change.
public typealias Update<Record: Sendable> = @Sendable (Record) throws -> (Record, EventDraft)

public protocol GroupStore: Sendable {
    func group(id: String) async throws -> Group?
    /// Groups in ID order, optionally only children of `parentId` and only among `ids`.
    func groups(parentId: String?, among ids: [String]?, page: PageRequest) async throws -> Page<Group>
    /// The chain of parents of a group, nearest first.
    func ancestorIds(of id: String) async throws -> [String]
    /// Every group below `id`, at any depth.
    func descendantIds(of id: String) async throws -> [String]
    /// Inserts a group; its parent must exist and accept writes, its slug must be free.
    func createGroup(_ group: Group, event: EventDraft) async throws -> Group
    /// Rewrites a group; a new parent must exist and must not be the group or below it.
    func updateGroup(id: String, _ body: @escaping Update<Group>) async throws -> Group
}

public protocol PersonStore: Sendable {
    /// A person as a member of `groupId`; `nil` when they are not a member there.
    func person(id: String, groupId: String) async throws -> Person?
    func people(groupId: String, page: PageRequest) async throws -> Page<Person>
    /// Adds a membership in `invite.groupId`, creating the person when the email is new.
    /// Conflict when they are a member already; counts against the `people` quota.
    func invitePerson(_ invite: PersonInvite, event: EventDraft) async throws -> Person
    func updatePerson(id: String, groupId: String, _ body: @escaping Update<Person>) async throws -> Person
    /// Ends a person's membership in `groupId` and revokes the keys that act as them there,
    /// each with an `api_key_revoked` event. Returns the revoked keys' IDs.
    func removePerson(id: String, groupId: String, event: EventDraft) async throws -> [String]
    /// A person's memberships, only in `among` groups when given.
    func memberships(personId: String, among groupIds: [String]?) async throws -> [Membership]
}

/// What ``PersonStore/invitePerson(_:event:)`` writes; IDs are used only for new rows.
public struct PersonInvite: Sendable {
    public var person: Person
    public var membershipId: String

    public init(person: Person, membershipId: String) {
        self.person = person
        self.membershipId = membershipId
    }
}

public protocol ThingStore: Sendable {
    func thing(id: String, groupId: String) async throws -> Thing?
    func things(_ query: ThingQuery, page: PageRequest) async throws -> Page<Thing>
    func createThing(_ thing: Thing, event: EventDraft) async throws -> Thing
    func updateThing(id: String, groupId: String, _ body: @escaping Update<Thing>) async throws -> Thing
}

/// Filters for listing things, newest first. Archived things are left out unless asked for.
public struct ThingQuery: Sendable, Equatable {
    public var groupId: String
    public var type: String?
    public var status: String?
    /// Case-insensitive text to find in the name.
    public var text: String?

    public init(groupId: String, type: String? = nil, status: String? = nil, text: String? = nil) {
        self.groupId = groupId
        self.type = type
        self.status = status
        self.text = text
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
    /// Inserts a connection; both ends must be live things of its group and no live connection
    /// may have the same ends and type.
    func createConnection(_ connection: Connection, event: EventDraft) async throws -> Connection
    func updateConnection(id: String, groupId: String, _ body: @escaping Update<Connection>) async throws -> Connection
}

/// Filters for listing live connections, newest first.
public struct ConnectionQuery: Sendable, Equatable {
    public var groupId: String
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
    /// Appends an event on its own (a custom event); the group must accept writes.
    func appendEvent(_ draft: EventDraft) async throws -> Event
}

/// Filters for listing events.
public struct EventQuery: Sendable, Equatable {
    public var groupId: String
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
    func createKnowledge(_ knowledge: Knowledge, event: EventDraft) async throws -> Knowledge
    func updateKnowledge(id: String, groupId: String, _ body: @escaping Update<Knowledge>) async throws -> Knowledge
}

/// Filters for listing live knowledge, newest first.
public struct KnowledgeQuery: Sendable, Equatable {
    public var groupId: String
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
    /// The key whose secret has this digest, in any group: the one unscoped lookup, used to
    /// authenticate. Served by an index on the digest.
    func apiKey(hash: String) async throws -> APIKey?
    func apiKey(id: String, groupId: String) async throws -> APIKey?
    /// A key by ID in any group, for operators (`one keys revoke`).
    func apiKey(id: String) async throws -> APIKey?
    func apiKeys(groupId: String, page: PageRequest) async throws -> Page<APIKey>
    func createAPIKey(_ key: APIKey, hash: String, event: EventDraft) async throws -> APIKey
    func updateAPIKey(id: String, groupId: String, _ body: @escaping Update<APIKey>) async throws -> APIKey
    /// Records that a key was used; callers throttle this, it is not a per-request write.
    func touchAPIKey(id: String, at time: Timestamp) async throws
}
