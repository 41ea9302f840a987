/// What a client sends to create a group.
public struct NewGroup: Codable, Sendable {
    public var name: String?
    public var slug: String?
    public var type: String?
    public var parentGroupId: String?
    public var description: String?
    public var metadata: JSONValue?
    public var settings: GroupSettings?

    public init(
        name: String? = nil, slug: String? = nil, type: String? = nil, parentGroupId: String? = nil,
        description: String? = nil, metadata: JSONValue? = nil, settings: GroupSettings? = nil
    ) {
        self.name = name
        self.slug = slug
        self.type = type
        self.parentGroupId = parentGroupId
        self.description = description
        self.metadata = metadata
        self.settings = settings
    }
}

/// What a client sends to change a group. `metadata` is a JSON merge patch; `settings` replaces.
public struct GroupPatch: Codable, Sendable {
    public var name: String?
    public var slug: String?
    public var type: String?
    public var parentGroupId: String?
    public var description: String?
    public var metadata: JSONValue?
    public var settings: GroupSettings?
    public var status: Group.Status?

    public init(
        name: String? = nil, slug: String? = nil, type: String? = nil, parentGroupId: String? = nil,
        description: String? = nil, metadata: JSONValue? = nil, settings: GroupSettings? = nil,
        status: Group.Status? = nil
    ) {
        self.name = name
        self.slug = slug
        self.type = type
        self.parentGroupId = parentGroupId
        self.description = description
        self.metadata = metadata
        self.settings = settings
        self.status = status
    }
}

extension OneService {
    /// Creates a group. Without `parentGroupId`, platform owners create a top-level group and
    /// group owners a child of the group they act in; a given parent must be reachable.
    public func createGroup(_ input: NewGroup, in scope: Scope) async throws -> Group {
        try AccessPolicy.require(scope.principal, .create, .groups)
        let name = try Validate.text(input.name, field: "name", maxLength: 200)
        let type = try Validate.text(input.type ?? "organization", field: "type", maxLength: 100)
        try ontology.checkGroupType(type)
        let slug = try Self.slug(input.slug ?? Self.slugify(name), field: input.slug == nil ? "name" : "slug")
        let description = try Validate.optionalText(input.description, field: "description", maxLength: 5_000)
        let metadata = try Validate.object(input.metadata, field: "metadata")
        let settings = try Self.validated(input.settings ?? GroupSettings())
        var parentId = try Validate.optionalID(input.parentGroupId, .group, field: "parentGroupId")
        if parentId == nil, scope.principal.role != .platformOwner { parentId = scope.groupId }
        if let parentId, !(try await canReach(scope.principal, groupId: parentId)) {
            throw OneError(.notFound, "parentGroupId does not name a group you can reach", field: "parentGroupId")
        }
        let now = clock.now()
        let group = Group(
            id: ids.make(.group), slug: slug, name: name, type: type, parentGroupId: parentId,
            description: description, metadata: metadata, settings: settings, createdAt: now, updatedAt: now)
        let event = EventDraft(
            groupId: group.id, type: "group_created", actorId: scope.principal.actorId, targetId: group.id,
            change: .created(group))
        return try await store.createGroup(group, event: event)
    }

    public func group(id: String, as principal: Principal) async throws -> Group {
        try AccessPolicy.require(principal, .read, .groups)
        return try await reachableGroup(id, principal)
    }

    /// Groups the principal reaches (all of them for platform owners), optionally the children of one.
    public func groups(as principal: Principal, parentId: String? = nil, page: PageRequest) async throws -> Page<Group> {
        try AccessPolicy.require(principal, .read, .groups)
        if let parentId {
            _ = try IDKind.group.validate(parentId, field: "parentId")
            _ = try await reachableGroup(parentId, principal)
        }
        return try await store.groups(parentId: parentId, among: try await reachableGroupIds(principal), page: page)
    }

    public func updateGroup(id: String, _ patch: GroupPatch, as principal: Principal) async throws -> Group {
        try AccessPolicy.require(principal, .update, .groups)
        _ = try await reachableGroup(id, principal)
        let name = try Validate.optionalText(patch.name, field: "name", maxLength: 200)
        let slug = try patch.slug.map { value throws(OneError) in try Self.slug(value, field: "slug") }
        if let type = patch.type { try ontology.checkGroupType(type) }
        let description = try Validate.optionalText(patch.description, field: "description", maxLength: 5_000)
        if let metadata = patch.metadata, metadata.objectValue == nil {
            throw OneError.validation("metadata", "metadata must be a JSON object, not \(metadata.typeName)")
        }
        let settings = try patch.settings.map { value throws(OneError) in try Self.validated(value) }
        let parentId = try Validate.optionalID(patch.parentGroupId, .group, field: "parentGroupId")
        // A group's place, quotas and lifecycle are governed from above: its own owners may not
        // lift their limits, undo an archive, or move out from under their parent.
        if id == principal.groupId, principal.role != .platformOwner {
            if let field = [("parentGroupId", patch.parentGroupId != nil), ("settings", patch.settings != nil), ("status", patch.status != nil)]
                .first(where: \.1)?.0
            {
                throw OneError(.forbidden, "only a platform owner or an owner of a parent group can change the \(field) of this key's own group", field: field)
            }
        }
        if let parentId {
            guard try await canReach(principal, groupId: parentId) else {
                throw OneError(.notFound, "parentGroupId does not name a group you can reach", field: "parentGroupId")
            }
        }
        let now = clock.now()
        return try await store.updateGroup(id: id) { current in
            if current.status == .archived, patch.status != .active {
                throw OneError(.groupArchived, "group \(id) is archived; set status to active to change it")
            }
            var updated = current
            updated.name = name ?? current.name
            updated.slug = slug ?? current.slug
            updated.type = patch.type ?? current.type
            updated.description = description ?? current.description
            if let metadata = patch.metadata { updated.metadata = current.metadata.merging(metadata) }
            updated.settings = settings ?? current.settings
            updated.parentGroupId = parentId ?? current.parentGroupId
            updated.status = patch.status ?? current.status
            updated.updatedAt = now
            let type = updated.status == .archived && current.status != .archived ? "group_archived" : "group_updated"
            let event = EventDraft(
                groupId: id, type: type, actorId: principal.actorId, targetId: id, change: .between(current, updated))
            return (updated, event)
        }
    }

    /// Archives a group: it stays readable but refuses writes until set active again.
    public func archiveGroup(id: String, as principal: Principal) async throws -> Group {
        try await updateGroup(id: id, GroupPatch(status: .archived), as: principal)
    }

    func reachableGroup(_ id: String, _ principal: Principal) async throws -> Group {
        _ = try IDKind.group.validate(id, field: "id")
        guard try await canReach(principal, groupId: id), let group = try await store.group(id: id) else {
            throw OneError.notFound("group")
        }
        return group
    }

    static func slugify(_ name: String) -> String {
        var slug = ""
        for character in name.lowercased() {
            if character.isLetter && character.isASCII || character.isNumber && character.isASCII {
                slug.append(character)
            } else if !slug.isEmpty, slug.last != "-" {
                slug.append("-")
            }
        }
        while slug.last == "-" { slug.removeLast() }
        return String(slug.prefix(63))
    }

    static func slug(_ value: String, field: String) throws(OneError) -> String {
        let valid = !value.isEmpty && value.count <= 63
            && value.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
            && value.first != "-"
        guard valid else {
            throw OneError.validation(field, "slug must be 1 to 63 lowercase letters, digits or dashes, not starting with a dash")
        }
        return value
    }

    static func validated(_ settings: GroupSettings) throws(OneError) -> GroupSettings {
        for (resource, limit) in settings.limits ?? [:] where limit < 0 {
            throw OneError.validation("settings.limits.\(resource.rawValue)", "settings.limits.\(resource.rawValue) must not be negative")
        }
        return settings
    }
}
