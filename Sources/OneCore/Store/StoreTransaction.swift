/// The primitives a write runs against, inside one transaction of the store.
///
/// Each is one statement's worth of SQL: no rule lives here. The domain decides what to read,
/// what to check and what to write; the adapter only reads and writes rows. Reads "for update"
/// lock the row until the transaction ends where the database needs it (PostgreSQL), so a
/// read-check-write cannot interleave with another writer's.
public protocol StoreTransaction: IdentityTransaction {
    // MARK: Groups

    /// The group and its ancestors, the group first and then each parent in turn; empty when
    /// there is no such group.
    func groupChain(of id: String) async throws -> [GroupNode]
    func groupForUpdate(id: String) async throws -> Group?
    /// Whether the store holds no group yet; callers asking at once are served one at a time,
    /// so two bootstraps cannot both find it empty.
    func isEmpty() async throws -> Bool
    /// Serialises changes to the shape of the group tree (moves) until the transaction ends.
    func lockGroupTree() async throws
    /// Inserts a group with zeroed usage counters.
    func insertGroup(_ group: Group) async throws
    func updateGroup(_ group: Group) async throws

    // MARK: Usage

    /// Usage counters of `groupIds`, locked until the transaction ends and including what this
    /// transaction added; groups without counters are left out.
    func usageForUpdate(of groupIds: [String]) async throws -> [String: GroupUsage]
    /// Adds `delta` to the own counters of `groupId` and to the subtree counters of each of
    /// `subtreeOf`, provided that afterwards no group of `bounds` counts more in its subtree than
    /// its bound for a resource. Returns the IDs of the groups whose bound it would pass, in the
    /// order of `subtreeOf`, and adds nothing then.
    ///
    /// The bound holds at commit whatever other transactions do meanwhile. Adapters may defer
    /// the addition to the end of the transaction and check bounds optimistically then, as long
    /// as a write they cannot admit for sure is run again under locks.
    func addUsage(
        _ delta: UsageCounts, own groupId: String?, subtreeOf groupIds: [String], within bounds: [String: UsageBound]
    ) async throws -> [String]

    // MARK: People

    /// A person as a member of `groupId`, by the ID that group knows them by, locked.
    func personForUpdate(id: String, groupId: String) async throws -> Person?
    /// The identity behind an email, creating it (with `newIdentityId`) when the email is new.
    func identity(email: String, newIdentityId: String, createdAt: Timestamp) async throws -> String
    /// Makes `identityId` a member of `person.groupId`, known there as `person.id`.
    func insertMembership(_ person: Person, identityId: String, membershipId: String) async throws
    func updateMembership(_ person: Person) async throws
    /// Ends a membership; whether there was one.
    func deleteMembership(personId: String, groupId: String) async throws -> Bool

    // MARK: Things, connections, knowledge

    func thingForUpdate(id: String, groupId: String) async throws -> Thing?
    /// Things of a group by ID, held against concurrent change until the transaction ends.
    func thingsForShare(ids: [String], groupId: String) async throws -> [Thing]
    func insertThing(_ thing: Thing) async throws
    /// Inserts several things; adapters may do it in one statement.
    func insertThings(_ things: [Thing]) async throws
    func updateThing(_ thing: Thing) async throws

    func connectionForUpdate(id: String, groupId: String) async throws -> Connection?
    /// The live connections of a group with `endId` at either end, locked.
    func liveConnectionsForUpdate(touching endId: String, groupId: String) async throws -> [Connection]
    func insertConnection(_ connection: Connection) async throws
    func updateConnection(_ connection: Connection) async throws

    func knowledgeForUpdate(id: String, groupId: String) async throws -> Knowledge?
    func insertKnowledge(_ knowledge: Knowledge) async throws
    /// Gives each live record of the group its vector, where another model (or none) made the
    /// one it has, leaving the rest of the record as it is; answers the IDs updated.
    func updateEmbeddings(
        _ vectors: [(knowledgeId: String, vector: [Float])], model: String, groupId: String, updatedAt: Timestamp
    ) async throws -> Set<String>
    func updateKnowledge(_ knowledge: Knowledge) async throws
    /// The live chunks cut from a document, locked.
    func liveChunksForUpdate(documentId: String, groupId: String) async throws -> [Knowledge]
    /// Adds to the AI tokens the group has used.
    func addAITokens(_ tokens: Int, groupId: String) async throws

    // MARK: API keys

    func apiKeyForUpdate(id: String, groupId: String) async throws -> APIKey?
    /// IDs of the active keys in `groupId` that act as `personId`, in ID order.
    func activeAPIKeyIds(personId: String, groupId: String) async throws -> [String]
    func insertAPIKey(_ key: APIKey, hash: String) async throws
    func updateAPIKey(_ key: APIKey) async throws

    // MARK: Sync

    /// Records the link from an outside ID to a record; with `replacing`, moves an existing one.
    /// A new link whose outside ID is already linked breaks a uniqueness rule, so two syncs
    /// racing to create one record cannot both succeed.
    func saveSyncLink(_ link: SyncLink, replacing: Bool) async throws
    /// Sets the group's sync secret digest, replacing any earlier one.
    func saveSyncSecret(groupId: String, hash: String, createdAt: Timestamp) async throws
    /// Removes the group's sync secret; whether it had one.
    func deleteSyncSecret(groupId: String) async throws -> Bool

    // MARK: Events

    /// Appends an event; the store gives it its ID, time and sequence, and ``Store/write(_:)``
    /// returns it once committed.
    func append(_ draft: EventDraft) async throws
    /// Appends several events in order; adapters may do it in one statement.
    func append(contentsOf drafts: [EventDraft]) async throws
}

extension StoreTransaction {
    public func insertThings(_ things: [Thing]) async throws {
        for thing in things { try await insertThing(thing) }
    }

    public func append(contentsOf drafts: [EventDraft]) async throws {
        for draft in drafts { try await append(draft) }
    }
}
