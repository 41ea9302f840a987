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
        return try await write { transaction in
            if let parentId = group.parentGroupId {
                let chain = try await TenantTree.writableChain(parentId, for: scope.principal, transaction)
                try await TenantTree.admit(.one(.groups), into: chain, transaction)
            } else {
                try await TenantTree.requireHomeActive(scope.principal, transaction)
            }
            try await transaction.insertGroup(group)
            try await transaction.append(event)
            return group
        }
    }

    /// A group's usage beside its limits: what counts in the group itself and in its whole subtree.
    public func usage(ofGroup id: String, as principal: Principal) async throws -> GroupUsageReport {
        let group = try await self.group(id: id, as: principal)
        guard let usage = try await store.usage(of: id) else { throw OneError.notFound("group") }
        return GroupUsageReport(groupId: id, limits: group.settings.limits ?? [:], usage: usage)
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
        defer { groupRequestLimits.evict(id) }
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
        return try await write { transaction in
            guard let current = try await transaction.groupForUpdate(id: id) else { throw OneError.notFound("group") }
            let chain = try await transaction.groupChain(of: id)
            if chain.dropFirst().contains(where: { $0.status == .archived }) {
                throw OneError(.groupArchived, "group \(id) is inside an archived group; restore that group first")
            }
            if current.status == .archived, patch.status != .active {
                throw OneError(.groupArchived, "group \(id) is archived; set status to active to change it")
            }
            if !chain.contains(where: { $0.id == principal.groupId }) {
                try await TenantTree.requireHomeActive(principal, transaction)
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
            guard updated != current else { return current }
            updated.updatedAt = now
            if updated.parentGroupId != current.parentGroupId, let newParent = updated.parentGroupId {
                try await Self.move(current, below: newParent, from: chain, transaction)
            }
            try await transaction.updateGroup(updated)
            let type = updated.status == .archived && current.status != .archived ? "group_archived" : "group_updated"
            try await transaction.append(EventDraft(
                groupId: id, type: type, actorId: principal.actorId, targetId: id, change: .between(current, updated)))
            return updated
        }
    }

    /// Moves `group` (whose chain is `chain`) with its subtree below `parentId`: the new parent
    /// must exist, accept writes, not sit below the group, and every group above it with a
    /// limit must have room for the subtree, whose usage moves from the old ancestors to the new.
    private static func move(
        _ group: Group, below parentId: String, from chain: [GroupNode], _ transaction: any StoreTransaction
    ) async throws {
        // Moves are serialised, so two concurrent moves cannot each pass the cycle check.
        try await transaction.lockGroupTree()
        let newChain = try await transaction.groupChain(of: parentId)
        guard let parent = newChain.first?.id else {
            throw OneError(.notFound, "parentGroupId does not name a group", field: "parentGroupId")
        }
        if newChain.contains(where: { $0.id == group.id }) {
            throw OneError.validation("parentGroupId", "parentGroupId would make a cycle: a group cannot sit below itself")
        }
        try TenantTree.requireActive(newChain)
        let subtree = try await transaction.usageForUpdate(of: [group.id])[group.id]?.subtree ?? .zero
        var moved = subtree
        moved.groups += 1
        let oldAncestors = Array(chain.dropFirst())
        let leaving = oldAncestors.filter { old in !newChain.contains { $0.id == old.id } }
        let joining = newChain.filter { new in !oldAncestors.contains { $0.id == new.id } }
        try await TenantTree.add(moved, own: nil, subtreeOf: joining.map(\.id), boundedBy: joining, transaction)
        _ = try await transaction.addUsage(-moved, own: nil, subtreeOf: leaving.map(\.id), within: [:])
        if let oldParent = group.parentGroupId {
            _ = try await transaction.addUsage(-UsageCounts.one(.groups), own: oldParent, subtreeOf: [], within: [:])
        }
        _ = try await transaction.addUsage(.one(.groups), own: parent, subtreeOf: [], within: [:])
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
        if let perMinute = settings.limits?[.requestsPerMinute], perMinute < 1 {
            throw OneError.validation(
                "settings.limits.requestsPerMinute", "settings.limits.requestsPerMinute must be at least 1; leave it out for no limit")
        }
        for (resource, limit) in settings.limits ?? [:] where limit < 0 {
            throw OneError.validation("settings.limits.\(resource.rawValue)", "settings.limits.\(resource.rawValue) must not be negative")
        }
        return settings
    }
}
