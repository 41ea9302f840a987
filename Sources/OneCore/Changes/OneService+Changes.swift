/// A page of the change feed: a group's events after a sequence, oldest first.
public struct ChangePage: Sendable, Equatable {
    public var results: [Event]
    public var hasMore: Bool
    /// The sequence to pass as `after` for the next page: the last result's, or the one asked
    /// for when there were none, so a client that pages on never skips or repeats an event.
    public var next: Int64
}

extension OneService {
    public static let defaultChangePageSize = 100
    public static let maxChangePageSize = 1000

    /// The events of the scope's group with a sequence above `after`, ascending. Sequences are
    /// handed out in commit order without gaps, so paging this while writers run never skips
    /// or repeats an event.
    public func changes(after: Int64, limit: Int, in scope: Scope) async throws -> ChangePage {
        guard after >= 0 else { throw OneError.validation("after", "after must be a sequence number, 0 or more") }
        guard (1...Self.maxChangePageSize).contains(limit) else {
            throw OneError.validation("limit", "limit must be an integer from 1 to \(Self.maxChangePageSize)")
        }
        let page = try await events(EventQuery(groupId: scope.groupId), in: scope, page: PageRequest(limit: limit, after: String(after)))
        return ChangePage(results: page.items, hasMore: page.hasMore, next: page.items.last?.sequence ?? after)
    }

    /// Forgets cached credentials `event` may have changed: a revoked key, a person's new role
    /// or removal, a sign-out or password change. This node's own operations evict as they
    /// write; this is for events read from the log, which other nodes wrote. Returns whether the
    /// event could change what a credential may do.
    ///
    /// Only the event types that can change a credential count, so events anyone can cause
    /// (failed sign-ins, mailed links) never make every connection prove itself again.
    @discardableResult
    public func forgetCredentials(touchedBy event: ChangeLogEntry) -> Bool {
        guard Self.credentialEventTypes.contains(event.type) else { return false }
        if IDKind.of(event.groupId) == .identity {
            forgetSessions(identityId: event.groupId)
            return true
        }
        guard let target = event.targetId else { return false }
        switch IDKind.of(target) {
        case .apiKey:
            keyCache.evict { $0.key.id == target }
        case .person:
            keyCache.evict { $0.key.personId == target && $0.key.groupId == event.groupId }
            sessionCache.evict { $0.memberships.contains { $0.personId == target && $0.groupId == event.groupId } }
        default:
            return false
        }
        return true
    }

    /// The events after which a key or a session may act differently, or not at all.
    static let credentialEventTypes: Set<String> = [
        "user_logout", "password_changed", "password_reset_completed", "two_factor_enabled", "two_factor_disabled",
        "email_verified", "user_joined_group", "person_updated", "user_removed_from_group", "api_key_revoked",
    ]
}
