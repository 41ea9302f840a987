/// What `one init` (and the first `one serve`) hands back, once.
public struct BootstrapResult: Codable, Sendable {
    public var apiKey: String
    public var groupId: String
    public var personId: String
}

extension OneService {
    /// Initialises an empty store: a platform group, its owner, and a platform_owner key that
    /// never expires. Throws `ALREADY_INITIALIZED` on a store that has any group, so the key is
    /// shown exactly once.
    public func bootstrap(ownerEmail: String = "owner@one.local", groupName: String = "Platform") async throws -> BootstrapResult {
        let email = try Validate.email(ownerEmail)
        let now = clock.now()
        let group = Group(
            id: ids.make(.group), slug: Self.slugify(groupName), name: groupName, type: "organization",
            createdAt: now, updatedAt: now)
        let person = Person(
            id: ids.make(.person), groupId: group.id, email: email, name: "Platform owner", role: .platformOwner,
            createdAt: now, updatedAt: now)
        let secret = APIKeySecret.generate()
        let key = APIKey(
            id: ids.make(.apiKey), groupId: group.id, name: "platform bootstrap key", role: .platformOwner,
            personId: person.id, rateLimit: RateLimit(requests: 10_000_000, burst: 100_000),
            prefix: APIKeySecret.displayPrefix(secret), expiresAt: nil, createdAt: now)
        let events = [
            EventDraft(groupId: group.id, type: "group_created", actorId: person.id, targetId: group.id, change: .created(group)),
            EventDraft(groupId: group.id, type: "person_created", actorId: person.id, targetId: person.id),
            EventDraft(groupId: group.id, type: "api_key_created", actorId: person.id, targetId: key.id),
        ]
        let (identityId, membershipId, hash) = (ids.make(.identity), ids.make(.membership), APIKeySecret.hash(secret))
        try await write { transaction in
            guard try await transaction.isEmpty() else {
                throw OneError(.alreadyInitialized, "this store is already initialised; its first key was shown once and is not shown again")
            }
            try await transaction.insertGroup(group)
            let identity = try await transaction.identity(email: email, newIdentityId: identityId, createdAt: now)
            try await transaction.insertMembership(person, identityId: identity, membershipId: membershipId)
            _ = try await transaction.addUsage(.one(.people), own: group.id, subtreeOf: [group.id], within: [:])
            try await transaction.insertAPIKey(key, hash: hash)
            for event in events { try await transaction.append(event) }
        }
        return BootstrapResult(apiKey: secret, groupId: group.id, personId: person.id)
    }
}
