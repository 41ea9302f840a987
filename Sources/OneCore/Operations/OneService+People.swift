/// What a client sends to invite someone into a group.
public struct NewPerson: Codable, Sendable {
    public var email: String?
    public var name: String?
    public var username: String?
    public var bio: String?
    public var avatar: String?
    public var role: String?
    public var permissions: [String]?

    public init(
        email: String? = nil, name: String? = nil, username: String? = nil, bio: String? = nil,
        avatar: String? = nil, role: String? = nil, permissions: [String]? = nil
    ) {
        self.email = email
        self.name = name
        self.username = username
        self.bio = bio
        self.avatar = avatar
        self.role = role
        self.permissions = permissions
    }
}

/// What a client sends to change a person: their profile, or their role and permissions here.
public struct PersonPatch: Codable, Sendable {
    public var name: String?
    public var username: String?
    public var bio: String?
    public var avatar: String?
    public var role: String?
    public var permissions: [String]?

    public init(
        name: String? = nil, username: String? = nil, bio: String? = nil, avatar: String? = nil,
        role: String? = nil, permissions: [String]? = nil
    ) {
        self.name = name
        self.username = username
        self.bio = bio
        self.avatar = avatar
        self.role = role
        self.permissions = permissions
    }
}

extension OneService {
    /// Invites a person into the scope's group with a role no higher than the inviter's.
    ///
    /// The group knows the person by an ID of its own, made now, whoever they are elsewhere:
    /// inviting an email known to other tenants answers exactly as inviting a new one, so no
    /// tenant learns another's IDs or when an identity was made.
    ///
    /// The membership stays `invited`, giving no sign-in access, until someone holding the
    /// returned token accepts it (``acceptInvitation(token:identityId:)``). Keys an owner makes
    /// for the person act at once: the owner vouches for them.
    public func invitePerson(_ input: NewPerson, in scope: Scope) async throws -> Invitation {
        try AccessPolicy.require(scope.principal, .create, .people)
        let email = try Validate.email(input.email)
        let name = try Validate.text(input.name ?? String(email.prefix { $0 != "@" }), field: "name", maxLength: 200)
        let role = try input.role.map { value throws(OneError) in try Role.parse(value, field: "role") } ?? .groupUser
        try requireGrantable(role, by: scope.principal)
        let now = clock.now()
        let person = Person(
            id: ids.make(.person), groupId: scope.groupId, email: email, name: name,
            username: try Validate.optionalText(input.username, field: "username", maxLength: 100),
            bio: try Validate.optionalText(input.bio, field: "bio", maxLength: 5_000),
            avatar: try Validate.optionalText(input.avatar, field: "avatar", maxLength: 2_000), role: role,
            permissions: try PermissionSet.validate(input.permissions ?? [], field: "permissions"), status: .invited,
            createdAt: now, updatedAt: now)
        let token = SecretToken.generate()
        let record = AuthToken(
            hash: SecretToken.hash(token), purpose: .invitation, email: email,
            data: ["groupId": .string(scope.groupId), "personId": .string(person.id)], createdAt: now,
            expiresAt: now + Self.invitationLifetime)
        let event = draft(
            scope, "user_invited_to_group", target: person.id,
            change: Change(after: ["email": .string(email), "role": .string(role.rawValue)]))
        let (identityId, membershipId) = (ids.make(.identity), ids.make(.membership))
        return try await write { transaction in
            let chain = try await TenantTree.writableChain(scope.groupId, for: scope.principal, transaction)
            try await TenantTree.admit(.one(.people), into: chain, transaction)
            let identity = try await transaction.identity(email: email, newIdentityId: identityId, createdAt: now)
            try await transaction.insertMembership(person, identityId: identity, membershipId: membershipId)
            try await transaction.insertAuthToken(record)
            try await transaction.append(event)
            return Invitation(person: person, token: token)
        }
    }

    /// A member of the scope's group. Customers may read only themselves.
    public func person(id: String, in scope: Scope) async throws -> Person {
        try AccessPolicy.require(scope.principal, .read, .people)
        _ = try IDKind.person.validate(id, field: "id")
        if scope.principal.role == .customer, id != scope.principal.actorId { throw OneError.notFound("person") }
        guard let person = try await store.person(id: id, groupId: scope.groupId) else { throw OneError.notFound("person") }
        return person
    }

    public func people(in scope: Scope, page: PageRequest, includeChildren: Bool = false) async throws -> Page<Person> {
        try AccessPolicy.require(scope.principal, .read, .people)
        let subgroups = try await subgroupIds(of: scope, include: includeChildren)
        if scope.principal.role == .customer {
            let me = try await store.person(id: scope.principal.actorId, groupId: scope.groupId)
            return Page(items: me.map { [$0] } ?? [], hasMore: false, nextAfter: nil)
        }
        return try await store.people(groupId: scope.groupId, subgroupIds: subgroups, page: page)
    }

    /// Changes a person's profile, role or permissions in the scope's group. A new role takes
    /// effect at once for the keys that act as them: a key acts with the lower of its own role
    /// and its person's.
    public func updatePerson(id: String, _ patch: PersonPatch, in scope: Scope) async throws -> Person {
        try AccessPolicy.require(scope.principal, .update, .people)
        _ = try IDKind.person.validate(id, field: "id")
        let role = try patch.role.map { value throws(OneError) in try Role.parse(value, field: "role") }
        if let role { try requireGrantable(role, by: scope.principal) }
        let permissions = try patch.permissions.map { value throws(OneError) in
            try PermissionSet.validate(value, field: "permissions")
        }
        let name = try Validate.optionalText(patch.name, field: "name", maxLength: 200)
        let username = try Validate.optionalText(patch.username, field: "username", maxLength: 100)
        let bio = try Validate.optionalText(patch.bio, field: "bio", maxLength: 5_000)
        let avatar = try Validate.optionalText(patch.avatar, field: "avatar", maxLength: 2_000)
        let principal = scope.principal
        let now = clock.now()
        let updated = try await write { transaction in
            guard let current = try await transaction.personForUpdate(id: id, groupId: scope.groupId) else {
                throw OneError.notFound("person")
            }
            _ = try await TenantTree.writableChain(scope.groupId, for: principal, transaction)
            guard current.role <= principal.role else {
                throw OneError.forbidden("a \(principal.role.rawValue) cannot change a \(current.role.rawValue)")
            }
            var updated = current
            updated.role = role ?? current.role
            updated.permissions = permissions ?? current.permissions
            updated.name = name ?? current.name
            updated.username = username ?? current.username
            updated.bio = bio ?? current.bio
            updated.avatar = avatar ?? current.avatar
            guard updated != current else { return current }
            updated.updatedAt = now
            try await transaction.updateMembership(updated)
            try await transaction.append(self.draft(scope, "person_updated", target: id, change: .between(current, updated)))
            return updated
        }
        keyCache.evict { $0.key.personId == id && $0.key.groupId == scope.groupId }
        sessionCache.evict { $0.memberships.contains { $0.personId == id && $0.groupId == scope.groupId } }
        return updated
    }

    /// Ends a person's membership in the scope's group and revokes their keys there; the person
    /// and their other memberships stay.
    public func removePerson(id: String, in scope: Scope) async throws {
        try AccessPolicy.require(scope.principal, .delete, .people)
        _ = try IDKind.person.validate(id, field: "id")
        let principal = scope.principal
        let now = clock.now()
        try await write { transaction in
            guard let person = try await transaction.personForUpdate(id: id, groupId: scope.groupId) else {
                throw OneError.notFound("person")
            }
            let chain = try await TenantTree.writableChain(scope.groupId, for: principal, transaction)
            guard person.role <= principal.role else {
                throw OneError.forbidden("a \(principal.role.rawValue) cannot remove a \(person.role.rawValue)")
            }
            guard try await transaction.deleteMembership(personId: id, groupId: scope.groupId) else {
                throw OneError.notFound("person")
            }
            try await TenantTree.release(.one(.people), from: chain, transaction)
            try await Self.endConnections(touching: id, in: scope, chain: chain, at: now, transaction) { before, after in
                self.draft(scope, "connection_deleted", target: before.id, change: .between(before, after))
            }
            let removal = self.draft(
                scope, "user_removed_from_group", target: id, change: Change(before: ["role": .string(person.role.rawValue)]))
            try await transaction.append(removal)
            for keyId in try await transaction.activeAPIKeyIds(personId: id, groupId: scope.groupId) {
                guard var key = try await transaction.apiKeyForUpdate(id: keyId, groupId: scope.groupId) else { continue }
                key.status = .revoked
                try await transaction.updateAPIKey(key)
                try await transaction.append(removal.revoking(keyId))
            }
        }
        keyCache.evict { $0.key.personId == id && $0.key.groupId == scope.groupId }
        sessionCache.evict { $0.memberships.contains { $0.personId == id && $0.groupId == scope.groupId } }
    }

    /// The person's memberships in the groups the caller can reach, each naming the person by
    /// the ID that group knows them by.
    public func memberships(ofPerson id: String, in scope: Scope) async throws -> [Membership] {
        _ = try await person(id: id, in: scope)
        return try await store.memberships(
            personId: id, groupId: scope.groupId, among: try await reachableGroupIds(scope.principal))
    }

    private func requireGrantable(_ role: Role, by principal: Principal) throws(OneError) {
        guard role <= principal.role else {
            throw OneError.forbidden("a \(principal.role.rawValue) cannot grant the role \(role.rawValue)")
        }
    }
}
