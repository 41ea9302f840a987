/// What a client sends to create a thing.
public struct NewThing: Codable, Sendable {
    public var type: String?
    public var name: String?
    public var properties: JSONValue?
    public var status: String?

    public init(type: String? = nil, name: String? = nil, properties: JSONValue? = nil, status: String? = nil) {
        self.type = type
        self.name = name
        self.properties = properties
        self.status = status
    }
}

/// What a client sends to change a thing. `properties` is a JSON merge patch (RFC 7396):
/// members merge, `null` removes one.
public struct ThingPatch: Codable, Sendable {
    public var type: String?
    public var name: String?
    public var properties: JSONValue?
    public var status: String?

    public init(type: String? = nil, name: String? = nil, properties: JSONValue? = nil, status: String? = nil) {
        self.type = type
        self.name = name
        self.properties = properties
        self.status = status
    }
}

extension OneService {
    public func createThing(_ input: NewThing, in scope: Scope) async throws -> Thing {
        try AccessPolicy.require(scope.principal, .create, .things)
        let (thing, event) = try newThing(input, in: scope)
        return try await write { transaction in
            let chain = try await TenantTree.writableChain(scope.groupId, for: scope.principal, transaction)
            try await TenantTree.admit(.one(.things), into: chain, transaction)
            try await transaction.insertThing(thing)
            try await transaction.append(event)
            return thing
        }
    }

    /// Creates several things in one write, each checked and logged exactly as
    /// ``createThing(_:in:)`` would, and admitted to the quotas together: all are created or,
    /// should one be refused, none is. A refused input is named by ``ItemFailure/index``.
    ///
    /// Each thing comes with its JSON, built once for its event and reused for the answer.
    public func createThings(_ inputs: [NewThing], in scope: Scope) async throws -> [(thing: Thing, json: JSONValue)] {
        try AccessPolicy.require(scope.principal, .create, .things)
        var created: [(thing: Thing, event: EventDraft)] = []
        created.reserveCapacity(inputs.count)
        for (index, input) in inputs.enumerated() {
            do {
                created.append(try newThing(input, in: scope))
            } catch let error as OneError {
                throw ItemFailure(index: index, error: error)
            }
        }
        return try await write { [created] transaction in
            let chain = try await TenantTree.writableChain(scope.groupId, for: scope.principal, transaction)
            try await TenantTree.admit(UsageCounts(things: created.count), into: chain, transaction)
            try await transaction.insertThings(created.map(\.thing))
            try await transaction.append(contentsOf: created.map(\.event))
            return created.map { ($0.thing, $0.event.change?.after ?? $0.thing.json) }
        }
    }

    /// A new thing from a client's input, validated, with its creation event.
    private func newThing(_ input: NewThing, in scope: Scope) throws -> (Thing, EventDraft) {
        let type = try Validate.text(input.type, field: "type", maxLength: 100)
        try ontology.checkThingType(type)
        let name = try Validate.text(input.name, field: "name")
        let properties = try Validate.object(input.properties, field: "properties")
        let status = input.status ?? "active"
        try checkSettableStatus(status)
        let now = clock.now()
        let thing = Thing(
            id: ids.make(.thing), groupId: scope.groupId, type: type, name: name, properties: properties,
            status: status, createdBy: scope.principal.actorId, createdAt: now, updatedAt: now)
        return (thing, draft(scope, "thing_created", target: thing.id, change: .created(thing)))
    }

    public func thing(id: String, in scope: Scope) async throws -> Thing {
        try AccessPolicy.require(scope.principal, .read, .things)
        return try await existingThing(id, in: scope)
    }

    public func things(
        _ query: ThingQuery, in scope: Scope, page: PageRequest, includeChildren: Bool = false
    ) async throws -> Page<Thing> {
        try AccessPolicy.require(scope.principal, .read, .things)
        var query = query
        query.groupId = scope.groupId
        query.subgroupIds = try await subgroupIds(of: scope, include: includeChildren)
        query.text = try Validate.searchText(query.text, field: "q")
        for tag in query.tags {
            try Tags.checkKey(tag.key, field: "tag")
            if let value = tag.value { try Tags.checkValue(value, field: "tag") }
        }
        if let type = query.type { try ontology.check(type, in: ontology.thingTypes, field: "type") }
        if let status = query.status { try ontology.checkThingStatus(status) }
        return try await store.things(query, page: page)
    }

    public func updateThing(id: String, _ patch: ThingPatch, in scope: Scope) async throws -> Thing {
        try AccessPolicy.require(scope.principal, .update, .things)
        _ = try IDKind.thing.validate(id, field: "id")
        let type = try Validate.optionalText(patch.type, field: "type", maxLength: 100)
        if let type { try ontology.checkThingType(type) }
        let name = try Validate.optionalText(patch.name, field: "name")
        if let properties = patch.properties, properties.objectValue == nil {
            throw OneError.validation("properties", "properties must be a JSON object, not \(properties.typeName)")
        }
        if let status = patch.status { try checkSettableStatus(status) }
        let now = clock.now()
        return try await updatingThing(id, in: scope) { current in
            guard current.deletedAt == nil else { throw OneError.conflict("this thing is archived and cannot be changed") }
            var updated = current
            updated.type = type ?? current.type
            updated.name = name ?? current.name
            if let properties = patch.properties { updated.properties = current.properties.merging(properties) }
            updated.status = patch.status ?? current.status
            guard updated != current else { return nil }
            updated.updatedAt = now
            return (updated, self.draft(scope, "thing_updated", target: id, change: .between(current, updated)))
        }
    }

    /// Archives a thing: status `archived`, `deletedAt` set, gone from default lists and from
    /// the quotas, kept for the record.
    public func archiveThing(id: String, in scope: Scope) async throws -> Thing {
        try AccessPolicy.require(scope.principal, .delete, .things)
        _ = try IDKind.thing.validate(id, field: "id")
        let now = clock.now()
        return try await updatingThing(id, in: scope, releasing: .one(.things)) { current in
            guard current.deletedAt == nil else { throw OneError.conflict("this thing is already archived") }
            var archived = current
            archived.status = "archived"
            archived.deletedAt = now
            archived.updatedAt = now
            return (archived, self.draft(scope, "thing_archived", target: id, change: .between(current, archived)))
        }
    }

    /// The read-check-update-append of a thing: reads it locked, checks its group accepts writes
    /// and the principal may change it, then writes what `change` returns (nothing when it
    /// returns `nil`: an update that changes nothing writes nothing) and takes `released` out of
    /// the usage counters.
    func updatingThing(
        _ id: String, in scope: Scope, releasing released: UsageCounts = .zero,
        _ change: @escaping @Sendable (Thing) throws -> (Thing, EventDraft)?
    ) async throws -> Thing {
        try await write { transaction in
            guard let current = try await transaction.thingForUpdate(id: id, groupId: scope.groupId) else {
                throw OneError.notFound("thing")
            }
            let chain = try await TenantTree.writableChain(scope.groupId, for: scope.principal, transaction)
            try AccessPolicy.requireOwnership(scope.principal, of: current.createdBy)
            guard let result = try change(current) else { return current }
            let (updated, event) = result
            try await transaction.updateThing(updated)
            if !released.isZero { try await TenantTree.release(released, from: chain, transaction) }
            try await transaction.append(event)
            return updated
        }
    }

    /// Connections with the thing at either end.
    public func connections(ofThing id: String, in scope: Scope, page: PageRequest) async throws -> Page<Connection> {
        try AccessPolicy.require(scope.principal, .read, .connections)
        _ = try await existingThing(id, in: scope)
        return try await store.connections(ConnectionQuery(groupId: scope.groupId, touching: id), page: page)
    }

    /// The thing's history: the events that target it, newest first.
    public func events(ofThing id: String, in scope: Scope, page: PageRequest) async throws -> Page<Event> {
        try AccessPolicy.require(scope.principal, .read, .events)
        _ = try await existingThing(id, in: scope)
        return try await store.events(EventQuery(groupId: scope.groupId, targetId: id, newestFirst: true), page: page)
    }

    /// Statuses a client may set directly: any in the ontology but `archived`, which only
    /// `DELETE` sets (with `deletedAt`), so archived things always leave lists and quotas together.
    private func checkSettableStatus(_ status: String) throws(OneError) {
        guard status != "archived" else {
            throw OneError.validation("status", "status 'archived' is set by DELETE /api/things/:id, not directly")
        }
        try ontology.checkThingStatus(status)
    }

    func existingThing(_ id: String, in scope: Scope, field: String = "id") async throws -> Thing {
        _ = try IDKind.thing.validate(id, field: field)
        guard let thing = try await store.thing(id: id, groupId: scope.groupId) else {
            throw OneError(.notFound, "thing not found", field: field == "id" ? nil : field)
        }
        return thing
    }
}

/// One input of a bulk operation was refused: which, and why.
public struct ItemFailure: Error, Sendable {
    public let index: Int
    public let error: OneError
}
