/// What a client sends to create knowledge.
public struct NewKnowledge: Codable, Sendable {
    public var type: String?
    public var text: String?
    public var labels: [String]?
    public var metadata: JSONValue?
    public var sourceThingId: String?
    public var sourceField: String?

    public init(
        type: String? = nil, text: String? = nil, labels: [String]? = nil, metadata: JSONValue? = nil,
        sourceThingId: String? = nil, sourceField: String? = nil
    ) {
        self.type = type
        self.text = text
        self.labels = labels
        self.metadata = metadata
        self.sourceThingId = sourceThingId
        self.sourceField = sourceField
    }
}

extension OneService {
    static let maxKnowledgeText = 100_000
    static let maxLabels = 100

    public func createKnowledge(_ input: NewKnowledge, in scope: Scope) async throws -> Knowledge {
        try AccessPolicy.require(scope.principal, .create, .knowledge)
        let type = try Validate.text(input.type, field: "type", maxLength: 100)
        try ontology.checkKnowledgeType(type)
        let text = try Validate.optionalText(input.text, field: "text", maxLength: Self.maxKnowledgeText)
        if text == nil, type != "vector_only" {
            throw OneError.validation("text", "text is required for knowledge of type \(type)")
        }
        let labels = input.labels ?? []
        guard labels.count <= Self.maxLabels else {
            throw OneError.validation("labels", "labels may hold at most \(Self.maxLabels) entries")
        }
        for label in labels { _ = try Validate.text(label, field: "labels", maxLength: 200) }
        let metadata = try Validate.object(input.metadata, field: "metadata")
        if let source = input.sourceThingId { _ = try await existingThing(source, in: scope, field: "sourceThingId") }
        let sourceField = try Validate.optionalText(input.sourceField, field: "sourceField", maxLength: 200)
        let now = clock.now()
        let knowledge = Knowledge(
            id: ids.make(.knowledge), groupId: scope.groupId, type: type, text: text,
            labels: labels.map { $0.trimmingWhitespace() }, metadata: metadata, sourceThingId: input.sourceThingId,
            sourceField: sourceField, createdBy: scope.principal.actorId, createdAt: now, updatedAt: now)
        let event = draft(scope, "knowledge_created", target: knowledge.id, change: .created(knowledge))
        return try await write { transaction in
            let chain = try await TenantTree.writableChain(scope.groupId, for: scope.principal, transaction)
            try await TenantTree.admit(.one(.knowledge), into: chain, transaction)
            try await transaction.insertKnowledge(knowledge)
            try await transaction.append(event)
            return knowledge
        }
    }

    public func knowledge(id: String, in scope: Scope) async throws -> Knowledge {
        try AccessPolicy.require(scope.principal, .read, .knowledge)
        _ = try IDKind.knowledge.validate(id, field: "id")
        guard let knowledge = try await store.knowledge(id: id, groupId: scope.groupId), knowledge.deletedAt == nil
        else { throw OneError.notFound("knowledge") }
        return knowledge
    }

    public func knowledge(
        _ query: KnowledgeQuery, in scope: Scope, page: PageRequest, includeChildren: Bool = false
    ) async throws -> Page<Knowledge> {
        try AccessPolicy.require(scope.principal, .read, .knowledge)
        var query = query
        query.groupId = scope.groupId
        query.subgroupIds = try await subgroupIds(of: scope, include: includeChildren)
        query.label = try Validate.searchText(query.label, field: "label")
        if let type = query.type { try ontology.checkKnowledgeType(type) }
        _ = try Validate.optionalID(query.sourceThingId, .thing, field: "sourceThingId")
        return try await store.knowledge(query, page: page)
    }

    public func deleteKnowledge(id: String, in scope: Scope) async throws {
        try AccessPolicy.require(scope.principal, .delete, .knowledge)
        _ = try IDKind.knowledge.validate(id, field: "id")
        let now = clock.now()
        try await write { transaction in
            guard let current = try await transaction.knowledgeForUpdate(id: id, groupId: scope.groupId),
                current.deletedAt == nil
            else { throw OneError.notFound("knowledge") }
            let chain = try await TenantTree.writableChain(scope.groupId, for: scope.principal, transaction)
            var deleted = current
            deleted.deletedAt = now
            deleted.updatedAt = now
            try await transaction.updateKnowledge(deleted)
            try await TenantTree.release(.one(.knowledge), from: chain, transaction)
            try await transaction.append(self.draft(scope, "knowledge_deleted", target: id, change: .between(current, deleted)))
        }
    }
}
