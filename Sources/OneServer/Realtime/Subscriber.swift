import OneCore

/// Who can share one evaluation of a query: the group it runs in and everything about the
/// principal that can change its answer (role, permissions, home group, and for customers,
/// who they are). Subscribers with equal keys get byte-identical results.
struct EvaluationKey: Hashable, Sendable {
    let query: RealtimeQuery
    let groupId: String
    let homeGroupId: String
    let role: Role
    let permissions: [String]
    let actorId: String?

    init(_ query: RealtimeQuery, _ scope: Scope) {
        let principal = scope.principal
        self.query = query
        self.groupId = scope.groupId
        self.homeGroupId = principal.groupId
        self.role = principal.role
        self.permissions = principal.permissions.entries.sorted()
        self.actorId = principal.role == .customer ? principal.actorId : nil
    }
}

/// Where one subscription's results go.
struct Subscriber: Sendable {
    let connection: RealtimeConnection
    /// The ID the client gave the subscription.
    let id: String
    /// Unique to this subscription, so results of one it replaced are never delivered.
    let token: UInt64
}
