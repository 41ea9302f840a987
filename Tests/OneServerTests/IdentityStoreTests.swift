import Foundation
import OneCore
import Testing

/// The identity primitives of the `Store` contract (accounts, sessions, auth tokens, OAuth
/// links, the dev outbox), checked directly against every adapter: SQLite always, PostgreSQL
/// when configured.
@Suite("Identity store")
struct IdentityStoreTests {
    let ids = IDGenerator()

    func group(_ name: String) -> Group {
        let now = Clock.system.now()
        return Group(
            id: ids.make(.group), slug: "\(name.lowercased())-\(UUID().uuidString.prefix(6).lowercased())", name: name,
            type: "business", createdAt: now, updatedAt: now)
    }

    func identity(_ name: String, verified: Bool = false) -> Identity {
        let now = Clock.system.now()
        return Identity(
            id: ids.make(.identity), email: "\(name.lowercased())-\(UUID().uuidString.prefix(8).lowercased())@example.com",
            name: name, passwordHash: "$2b$12$hash-of-\(name)", emailVerifiedAt: verified ? now : nil, createdAt: now,
            updatedAt: now)
    }

    func session(of identityId: String, expiresAt: Timestamp? = nil) -> Session {
        let now = Clock.system.now()
        return Session(
            id: ids.make(.session), identityId: identityId, createdAt: now, expiresAt: expiresAt ?? now + 86_400_000,
            refreshedAt: now, userAgent: "Tests/1.0", address: "203.0.113.7")
    }

    /// A membership of `identityId` in `groupId`, as the person the group knows.
    func member(
        _ identityId: String, of groupId: String, role: Role = .groupUser, status: Person.Status = .active, createdAt: Timestamp
    ) -> (person: Person, identityId: String) {
        let person = Person(
            id: ids.make(.person), groupId: groupId, email: "", name: "Member", role: role, permissions: ["things:read"],
            status: status, createdAt: createdAt, updatedAt: createdAt)
        return (person, identityId)
    }

    func grant(_ person: Person) -> MembershipGrant {
        MembershipGrant(groupId: person.groupId, personId: person.id, role: person.role, permissions: person.permissions, createdAt: person.createdAt)
    }

    /// Stores the identities, groups and memberships in one write.
    func insert(
        identities: [Identity] = [], groups: [Group] = [], members: [(person: Person, identityId: String)] = [], into store: any Store
    ) async throws {
        let membershipIds = members.map { _ in ids.make(.membership) }
        _ = try await store.write { transaction in
            for identity in identities { try await transaction.insertIdentity(identity) }
            for group in groups { try await transaction.insertGroup(group) }
            for (member, membershipId) in zip(members, membershipIds) {
                try await transaction.insertMembership(member.person, identityId: member.identityId, membershipId: membershipId)
            }
        }
    }

    @Test("an identity reads back as written, its email is unique, and an update carries its second factor", arguments: TestStore.available)
    func identities(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let made = identity("Ada")
            try await insert(identities: [made], into: store)
            #expect(try await store.identity(id: made.id) == made)
            #expect(try await store.identity(email: made.email) == made)
            #expect(try await store.identity(id: ids.make(.identity)) == nil)
            #expect(try await store.identity(email: "nobody@example.com") == nil)

            var twin = identity("Twin")
            twin.email = made.email
            let duplicate = twin
            await #expect(throws: UniqueViolation(.identityEmail)) {
                _ = try await store.write { try await $0.insertIdentity(duplicate) }
            }
            #expect(try await store.identity(id: twin.id) == nil, "the refused identity left nothing behind")

            var updating = made
            updating.name = nil
            updating.passwordHash = "$2b$12$another"
            updating.emailVerifiedAt = made.createdAt + 1
            updating.twoFactor = TwoFactor(
                secret: "JBSWY3DPEHPK3PXP", enabled: true, backupCodeHashes: ["a1", "b2"], lastStep: 9_007_199_254_740_993)
            updating.updatedAt = made.createdAt + 2
            let updated = updating
            let locked = try await store.write { transaction in
                try await transaction.updateIdentity(updated)
                return (
                    try await transaction.identityForUpdate(id: made.id), try await transaction.identityForUpdate(email: made.email),
                    try await transaction.identityForUpdate(email: "nobody@example.com"))
            }.value
            #expect(locked.0 == updated && locked.1 == updated && locked.2 == nil)
            #expect(try await store.identity(id: made.id) == updated)
            #expect(try await store.identity(email: made.email)?.requiresSecondFactor == true)

            // A pending factor without a last step, then none at all.
            var pending = updated
            pending.twoFactor = TwoFactor(secret: "KRSXG5CTMVRXEZLU", enabled: false, backupCodeHashes: [])
            let withPending = pending
            _ = try await store.write { try await $0.updateIdentity(withPending) }
            #expect(try await store.identity(id: made.id) == withPending)
            pending.twoFactor = nil
            let withNone = pending
            _ = try await store.write { try await $0.updateIdentity(withNone) }
            #expect(try await store.identity(id: made.id) == withNone)
        }
    }

    @Test("a session's credential carries its identity's active memberships only, oldest first", arguments: TestStore.available)
    func sessionCredentials(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let ada = identity("Ada")
            let other = identity("Other", verified: true)
            let (home, away, elsewhere) = (group("Home"), group("Away"), group("Elsewhere"))
            let now = Clock.system.now()
            let active = member(ada.id, of: home.id, createdAt: now - 2000)
            let invited = member(ada.id, of: away.id, role: .groupOwner, status: .invited, createdAt: now - 1000)
            let stranger = member(other.id, of: elsewhere.id, createdAt: now - 3000)
            try await insert(identities: [ada, other], groups: [home, away, elsewhere], members: [active, invited, stranger], into: store)
            #expect(try await store.person(id: invited.person.id, groupId: away.id)?.status == .invited)

            let first = session(of: ada.id)
            let (firstHash, unknownHash) = (SecretToken.hash(SecretToken.generate()), SecretToken.hash(SecretToken.generate()))
            _ = try await store.write { try await $0.insertSession(first, hash: firstHash) }
            #expect(try await store.sessionCredential(hash: unknownHash) == nil)
            #expect(
                try await store.sessionCredential(hash: firstHash)
                    == SessionCredential(session: first, emailVerified: false, memberships: [grant(active.person)]),
                "the invited membership gives nothing")
            #expect(try await store.write { try await $0.memberships(identityId: ada.id) }.value == [grant(active.person)])

            // Accepting the invitation and verifying the email show at once.
            var accepting = invited.person
            accepting.status = .active
            let accepted = accepting
            var verifying = ada
            verifying.emailVerifiedAt = now
            let verified = verifying
            _ = try await store.write { transaction in
                try await transaction.updateMembership(accepted)
                try await transaction.updateIdentity(verified)
            }
            let both = [grant(active.person), grant(accepted)]
            #expect(try await store.sessionCredential(hash: firstHash) == SessionCredential(session: first, emailVerified: true, memberships: both))
            #expect(try await store.write { try await $0.memberships(identityId: ada.id) }.value == both)

            // An identity with no active membership still has its session.
            let lone = session(of: other.id)
            let loneHash = SecretToken.hash(SecretToken.generate())
            _ = try await store.write { transaction in
                try await transaction.insertSession(lone, hash: loneHash)
                try await transaction.claimMembership(personId: stranger.person.id, groupId: elsewhere.id, identityId: ada.id)
            }
            #expect(try await store.sessionCredential(hash: loneHash) == SessionCredential(session: lone, emailVerified: true, memberships: []))
            #expect(try await store.person(id: stranger.person.id, groupId: elsewhere.id)?.email == ada.email, "the claimed membership is Ada's")
            #expect(
                try await store.sessionCredential(hash: firstHash)?.memberships == [grant(stranger.person)] + both,
                "the claimed membership joins Ada's, in order of creation")
        }
    }

    @Test("sessions refresh, rotate their token, list newest first while live, and end", arguments: TestStore.available)
    func sessionLifecycle(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let ada = identity("Ada")
            let other = identity("Other")
            try await insert(identities: [ada, other], into: store)
            let now = Clock.system.now()
            let first = session(of: ada.id)
            let expired = session(of: ada.id, expiresAt: now - 1)
            let second = session(of: ada.id)
            let others = session(of: other.id)
            let hashes = (0..<5).map { _ in SecretToken.hash(SecretToken.generate()) }
            _ = try await store.write { transaction in
                try await transaction.insertSession(first, hash: hashes[0])
                try await transaction.insertSession(expired, hash: hashes[1])
                try await transaction.insertSession(second, hash: hashes[2])
                try await transaction.insertSession(others, hash: hashes[3])
            }
            #expect(try await store.sessions(identityId: ada.id, now: now) == [second, first])
            #expect(try await store.sessions(identityId: other.id, now: now) == [others])

            // A refresh that keeps the token…
            var refreshing = first
            refreshing.expiresAt += 1000
            refreshing.refreshedAt += 1000
            let refreshed = refreshing
            let locked = try await store.write { transaction in
                let locked = try await transaction.sessionForUpdate(id: first.id)
                try await transaction.updateSession(refreshed, hash: nil)
                return (locked, try await transaction.sessionForUpdate(id: self.ids.make(.session)))
            }.value
            #expect(locked.0 == first && locked.1 == nil)
            #expect(try await store.sessionCredential(hash: hashes[0])?.session == refreshed)

            // …and one that replaces it: the old token no longer finds the session.
            _ = try await store.write { try await $0.updateSession(refreshed, hash: hashes[4]) }
            #expect(try await store.sessionCredential(hash: hashes[0]) == nil)
            #expect(try await store.sessionCredential(hash: hashes[4])?.session == refreshed)

            _ = try await store.write { try await $0.deleteSession(id: second.id) }
            #expect(try await store.sessionCredential(hash: hashes[2]) == nil)
            #expect(try await store.sessions(identityId: ada.id, now: now) == [refreshed])

            let ended = try await store.write { try await $0.deleteSessions(identityId: ada.id) }.value
            #expect(Set(ended) == [first.id, expired.id])
            #expect(try await store.sessions(identityId: ada.id, now: now).isEmpty)
            #expect(try await store.sessionCredential(hash: hashes[4]) == nil)
            #expect(try await store.write { try await $0.deleteSessions(identityId: ada.id) }.value.isEmpty)
            #expect(try await store.sessions(identityId: other.id, now: now) == [others], "another identity's sessions stay")
        }
    }

    @Test("auth tokens read back as written, count attempts, and are withdrawn one by one or by purpose", arguments: TestStore.available)
    func authTokens(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let ada = identity("Ada")
            let other = identity("Other")
            try await insert(identities: [ada, other], into: store)
            let now = Clock.system.now()
            func token(_ purpose: AuthToken.Purpose, for identityId: String?, email: String? = nil, data: JSONValue = [:]) -> AuthToken {
                AuthToken(
                    hash: SecretToken.hash(SecretToken.generate()), purpose: purpose, identityId: identityId, email: email,
                    data: data, createdAt: now, expiresAt: now + 600_000)
            }
            let challenge = token(.twoFactorChallenge, for: ada.id, data: ["remember": true, "step": 3])
            let invitation = token(.invitation, for: nil, email: "new@example.com", data: ["personId": "usr_x", "groupId": "grp_y"])
            let resets = [token(.resetPassword, for: ada.id), token(.resetPassword, for: ada.id)]
            let magic = token(.magicLink, for: ada.id)
            let othersReset = token(.resetPassword, for: other.id)
            let all = [challenge, invitation, magic, othersReset] + resets
            _ = try await store.write { transaction in
                for token in all { try await transaction.insertAuthToken(token) }
            }
            let read = try await store.write { transaction in
                var found: [AuthToken?] = []
                for token in all { found.append(try await transaction.authTokenForUpdate(hash: token.hash)) }
                found.append(try await transaction.authTokenForUpdate(hash: SecretToken.hash("unknown")))
                return found
            }.value
            #expect(read == all.map(Optional.some) + [nil])

            var answering = challenge
            answering.attempts = 2
            answering.data = ["remember": false, "step": 4, "tried": ["123456", "654321"]]
            let answered = answering
            _ = try await store.write { try await $0.updateAuthToken(answered) }
            #expect(try await store.write { try await $0.authTokenForUpdate(hash: challenge.hash) }.value == answered)

            _ = try await store.write { try await $0.deleteAuthToken(hash: challenge.hash) }
            _ = try await store.write { try await $0.deleteAuthTokens(identityId: ada.id, purpose: .resetPassword) }
            let left = try await store.write { transaction in
                var found: [String] = []
                for token in all {
                    if try await transaction.authTokenForUpdate(hash: token.hash) != nil { found.append(token.hash) }
                }
                return found
            }.value
            #expect(Set(left) == [invitation.hash, magic.hash, othersReset.hash], "only Ada's reset links and the answered challenge go")
        }
    }

    @Test("a provider account links to one identity only", arguments: TestStore.available)
    func oauthAccounts(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            let ada = identity("Ada")
            let other = identity("Other")
            try await insert(identities: [ada, other], into: store)
            let now = Clock.system.now()
            #expect(try await store.write { try await $0.oauthIdentityId(provider: "github", subject: "42") }.value == nil)
            _ = try await store.write { transaction in
                try await transaction.insertOAuthAccount(provider: "github", subject: "42", identityId: ada.id, createdAt: now)
                try await transaction.insertOAuthAccount(provider: "google", subject: "42", identityId: other.id, createdAt: now)
            }
            let linked = try await store.write { transaction in
                (try await transaction.oauthIdentityId(provider: "github", subject: "42"),
                 try await transaction.oauthIdentityId(provider: "google", subject: "42"),
                 try await transaction.oauthIdentityId(provider: "github", subject: "43"))
            }.value
            #expect(linked == (ada.id, other.id, nil))
            await #expect(throws: UniqueViolation(.oauthAccount)) {
                _ = try await store.write {
                    try await $0.insertOAuthAccount(provider: "github", subject: "42", identityId: other.id, createdAt: now)
                }
            }
            #expect(try await store.write { try await $0.oauthIdentityId(provider: "github", subject: "42") }.value == ada.id)
        }
    }

    @Test("the outbox gives its newest messages, oldest first", arguments: TestStore.available)
    func outbox(kind: TestStore) async throws {
        try await kind.withFreshStore { store, _ in
            #expect(try await store.mails(limit: 10).isEmpty)
            let now = Clock.system.now()
            let messages = (0..<3).map { index in
                MailMessage(
                    id: ids.make(.mail), to: "ada@example.com", subject: "Message \(index)",
                    text: "Hello \(index)\nhttps://one.example/a/\(index) and https://one.example/b/\(index)",
                    links: index == 0 ? [] : ["https://one.example/a/\(index)", "https://one.example/b/\(index)"],
                    createdAt: now + Timestamp(index))
            }
            for message in messages {
                _ = try await store.write { try await $0.insertMail(message) }
            }
            #expect(try await store.mails(limit: 2) == Array(messages[1...]))
            #expect(try await store.mails(limit: 10) == messages)
            #expect(try await store.mails(limit: 1) == [messages[2]])
        }
    }
}
