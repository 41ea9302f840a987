/// A person just invited, and the secret of their invitation, mailed to them and never shown again.
public struct Invitation: Sendable {
    public var person: Person
    public var token: String
}

extension OneService {
    /// How long an invitation can be accepted.
    public static let invitationLifetime: Timestamp = 7 * 24 * 60 * 60 * 1000

    /// Accepts an invitation for `identityId`: the invited membership becomes theirs and active.
    /// The token is single-use; an invitation to another email is handed to whoever accepts it,
    /// since only the invitee received the link. 404 for unknown, used or expired tokens.
    public func acceptInvitation(token: String, identityId: String) async throws -> Person {
        let hash = SecretToken.hash(token)
        let now = clock.now()
        let person = try await write { transaction in
            try await self.acceptInvitation(hash: hash, identityId: identityId, now: now, transaction)
        }
        forgetSessions(identityId: identityId)
        return person
    }

    /// ``acceptInvitation(token:identityId:)`` inside a caller's transaction (signing up through
    /// the link does both at once).
    public func acceptInvitation(
        hash: String, identityId: String, now: Timestamp, _ transaction: any StoreTransaction
    ) async throws -> Person {
        guard let record = try await transaction.authTokenForUpdate(hash: hash), record.purpose == .invitation,
            record.expiresAt > now, case .string(let groupId)? = record.data.objectValue?["groupId"],
            case .string(let personId)? = record.data.objectValue?["personId"]
        else { throw OneError(.notFound, "this invitation is unknown, used or expired") }
        try await transaction.deleteAuthToken(hash: hash)
        guard var person = try await transaction.personForUpdate(id: personId, groupId: groupId), person.status == .invited
        else { throw OneError(.notFound, "this invitation is unknown, used or expired") }
        try TenantTree.requireActive(try await transaction.groupChain(of: groupId))
        try await transaction.claimMembership(personId: personId, groupId: groupId, identityId: identityId)
        let before = person
        person.status = .active
        person.updatedAt = now
        try await transaction.updateMembership(person)
        try await transaction.append(EventDraft(
            groupId: groupId, type: "user_joined_group", actorId: personId, targetId: personId,
            metadata: ["method": "invitation"], change: .between(before, person)))
        return person
    }

    /// Makes `identityId` a member of a group whose join policy is `open`, inside a sign-up's
    /// transaction: the group must accept writes and have room. Other groups answer 403 alike
    /// whether or not they exist, as far as the caller can tell apart from 404 for a bad ID.
    public func joinOpenGroup(
        _ groupId: String, identityId: String, email: String, name: String, now: Timestamp,
        _ transaction: any StoreTransaction
    ) async throws -> Person {
        let refused = OneError.forbidden("this group does not accept sign-ups; ask its owners for an invitation")
        guard let group = try await transaction.groupForUpdate(id: groupId) else { throw refused }
        guard group.settings.joinPolicy == .open else { throw refused }
        let chain = try await transaction.groupChain(of: groupId)
        try TenantTree.requireActive(chain)
        try await TenantTree.admit(.one(.people), into: chain, transaction)
        let person = Person(
            id: ids.make(.person), groupId: groupId, email: email, name: name, role: .groupUser, createdAt: now,
            updatedAt: now)
        try await transaction.insertMembership(person, identityId: identityId, membershipId: ids.make(.membership))
        try await transaction.append(EventDraft(
            groupId: groupId, type: "user_joined_group", actorId: person.id, targetId: person.id,
            metadata: ["method": "signup"], change: .created(person)))
        return person
    }
}
