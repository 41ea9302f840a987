/// A tenant: an isolated namespace that owns every other record. Groups nest through
/// `parentGroupId`; a parent's owners reach its descendants.
public struct Group: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case active, archived
    }

    public var id: String
    public var slug: String
    public var name: String
    public var type: String
    public var parentGroupId: String?
    public var description: String?
    public var metadata: JSONValue
    public var settings: GroupSettings
    public var status: Status
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    enum CodingKeys: String, CodingKey {
        case id = "_id"
        case slug, name, type, parentGroupId, description, metadata, settings, status, createdAt, updatedAt
    }

    public init(
        id: String, slug: String, name: String, type: String, parentGroupId: String? = nil,
        description: String? = nil, metadata: JSONValue = [:], settings: GroupSettings = .init(),
        status: Status = .active, createdAt: Timestamp, updatedAt: Timestamp
    ) {
        self.id = id
        self.slug = slug
        self.name = name
        self.type = type
        self.parentGroupId = parentGroupId
        self.description = description
        self.metadata = metadata
        self.settings = settings
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What a group's `settings.limits` can cap. A limit bounds the group's whole subtree: groups
/// (descendants), things, connections, knowledge and people are enforced on every create
/// anywhere below; `storage` (bytes) and `apiCalls` (per month) are kept for the features that
/// will meter them.
public enum QuotaResource: String, Codable, Sendable, CaseIterable, CodingKeyRepresentable {
    case groups, things, connections, knowledge, people, storage, apiCalls
    /// Requests a minute across all the keys and sessions homed in the group (not its subtree).
    case requestsPerMinute
    /// AI tokens (prompt and completion, and text embedded on request) the group may use, all
    /// time; raise it to grant more.
    case aiTokens
}

/// A group's settings: visibility, join policy, plan and quotas.
public struct GroupSettings: Codable, Sendable, Equatable {
    public enum Visibility: String, Codable, Sendable, CaseIterable { case `public`, `private` }
    public enum JoinPolicy: String, Codable, Sendable, CaseIterable {
        case open
        case inviteOnly = "invite_only"
        case approvalRequired = "approval_required"
    }
    public enum Plan: String, Codable, Sendable, CaseIterable { case starter, pro, enterprise }

    public var visibility: Visibility?
    public var joinPolicy: JoinPolicy?
    public var plan: Plan?
    /// Per-resource caps; a missing entry means no cap.
    public var limits: [QuotaResource: Int]?

    public init(
        visibility: Visibility? = nil, joinPolicy: JoinPolicy? = nil, plan: Plan? = nil,
        limits: [QuotaResource: Int]? = nil
    ) {
        self.visibility = visibility
        self.joinPolicy = joinPolicy
        self.plan = plan
        self.limits = limits
    }
}
