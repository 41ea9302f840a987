/// How each dimension's records are compared with what the group holds, and written.
///
/// A record leaves alone the fields it does not send. Things and people are updated in
/// place; a connection or a piece of knowledge whose content changed is replaced (the old one
/// deleted, a new one created and linked), as neither has an update of its own.
extension OneService {
    /// Reads once what planning a batch's records needs, rather than once per record: where
    /// each record's outside ID points, the live things or people those are, and where the
    /// outside IDs the records refer to point (connection ends, knowledge sources).
    func readAhead(_ dimension: SyncDimension, keys: [SyncKey], records: [JSONValue], in scope: Scope) async throws -> SyncBatch {
        var batch = SyncBatch()
        batch.links = try await store.syncLinks(groupId: scope.groupId, dimension: dimension.rawValue, keys: keys)
        let linked = Array(Set(batch.links.values))
        switch dimension {
        case .things:
            for thing in try await store.liveThings(ids: linked, groupId: scope.groupId) { batch.things[thing.id] = thing }
        case .people:
            for person in try await store.people(ids: linked, groupId: scope.groupId) { batch.people[person.id] = person }
        case .connections, .knowledge:
            let names = dimension == .connections ? ["fromExternalId", "toExternalId"] : ["sourceExternalId"]
            let references = records.flatMap { record -> [SyncKey] in
                guard let members = record.objectValue, let source = members["source"]?.stringValue else { return [] }
                return names.compactMap { members[$0]?.stringValue.map { SyncKey(source: source, externalId: $0) } }
            }
            guard !references.isEmpty else { break }
            batch.thingLinks = try await store.syncLinks(groupId: scope.groupId, dimension: SyncDimension.things.rawValue, keys: references)
            if dimension == .connections {
                batch.personLinks = try await store.syncLinks(
                    groupId: scope.groupId, dimension: SyncDimension.people.rawValue, keys: references)
            }
        }
        return batch
    }

    func planThing(key: SyncKey, fields: SyncFields, batch: SyncBatch, in scope: Scope) throws -> SyncPlan? {
        try fields.requireOnly(["type", "name", "properties", "status"])
        let type = try fields.string("type")
        let name = try fields.string("name")
        let status = try fields.string("status")
        let properties = fields.value("properties")
        let existing = batch.links[key]
        if let existing, let current = batch.things[existing] {
            var patch = ThingPatch()
            if let type, type != current.type { patch.type = type }
            if let name, name != current.name { patch.name = name }
            if let status, status != current.status { patch.status = status }
            if let properties, properties != current.properties { patch.properties = current.properties.mergePatch(to: properties) }
            guard patch.type != nil || patch.name != nil || patch.status != nil || patch.properties != nil else { return nil }
            return SyncPlan(isCreate: false) { [patch] in
                try await fields.scoping { try await self.updateThing(id: existing, patch, in: scope).id }
            }
        }
        let input = NewThing(type: type, name: name, properties: properties, status: status)
        var plan = creation(.things, key: key, relinking: existing != nil, fields: fields, in: scope) {
            try await self.createThing(input, in: scope).id
        }
        plan.newThing = SyncPlan.NewThingPlan(input: input, key: key, replacing: existing != nil)
        return plan
    }

    func planPerson(key: SyncKey, fields: SyncFields, batch: SyncBatch, in scope: Scope) throws -> SyncPlan? {
        try fields.requireOnly(["email", "name", "role"])
        let email = try fields.string("email")
        let name = try fields.string("name")
        let role = try fields.string("role")
        let existing = batch.links[key]
        if let existing, let current = batch.people[existing] {
            if let email, (try? Validate.email(email)) != current.email {
                throw OneError.validation("\(fields.field).email", "\(fields.field).email cannot change once synced")
            }
            var patch = PersonPatch()
            if let name, name != current.name { patch.name = name }
            if let role, role != current.role.rawValue { patch.role = role }
            guard patch.name != nil || patch.role != nil else { return nil }
            return SyncPlan(isCreate: false) { [patch] in
                try await fields.scoping { try await self.updatePerson(id: existing, patch, in: scope).id }
            }
        }
        let input = NewPerson(email: email, name: name, role: role)
        return creation(.people, key: key, relinking: existing != nil, fields: fields, in: scope) {
            try await self.invitePerson(input, in: scope).person.id
        }
    }

    func planConnection(key: SyncKey, fields: SyncFields, batch: SyncBatch, in scope: Scope) async throws -> SyncPlan? {
        try fields.requireOnly(["type", "fromId", "toId", "fromExternalId", "toExternalId", "metadata", "strength"])
        var input = NewConnection(
            fromId: try end("from", fields, key: key, batch: batch), toId: try end("to", fields, key: key, batch: batch),
            type: try fields.string("type"), metadata: fields.value("metadata"), strength: try fields.number("strength"))
        let existing = batch.links[key]
        var current: Connection?
        if let existing { current = try await store.connection(id: existing, groupId: scope.groupId).flatMap { $0.deletedAt == nil ? $0 : nil } }
        if let current {
            input.type = input.type ?? current.type
            input.fromId = input.fromId ?? current.fromId
            input.toId = input.toId ?? current.toId
            input.metadata = input.metadata ?? current.metadata
            input.strength = input.strength ?? current.strength
            let same = input.type == current.type && input.fromId == current.fromId && input.toId == current.toId
                && input.metadata == current.metadata && input.strength == current.strength
            guard !same else { return nil }
        }
        return creation(.connections, key: key, replacing: current?.id, relinking: existing != nil, fields: fields, in: scope) {
            [input] in try await self.createConnection(input, in: scope).id
        } delete: { id in
            try await self.deleteConnection(id: id, in: scope)
        }
    }

    func planKnowledge(key: SyncKey, fields: SyncFields, batch: SyncBatch, in scope: Scope) async throws -> SyncPlan? {
        try fields.requireOnly(["type", "text", "labels", "metadata", "sourceThingId", "sourceExternalId", "sourceField"])
        var sourceThingId = try fields.string("sourceThingId")
        if let external = try fields.string("sourceExternalId") {
            sourceThingId = try batch.reference(external, key: key, field: "\(fields.field).sourceExternalId", peopleToo: false)
        }
        var input = NewKnowledge(
            type: try fields.string("type"), text: try fields.string("text"), labels: try fields.strings("labels"),
            metadata: fields.value("metadata"), sourceThingId: sourceThingId, sourceField: try fields.string("sourceField"))
        let existing = batch.links[key]
        var current: Knowledge?
        if let existing { current = try await store.knowledge(id: existing, groupId: scope.groupId).flatMap { $0.deletedAt == nil ? $0 : nil } }
        if let current {
            input.type = input.type ?? current.type
            input.text = input.text ?? current.text
            input.labels = input.labels ?? current.labels
            input.metadata = input.metadata ?? current.metadata
            input.sourceThingId = input.sourceThingId ?? current.sourceThingId
            input.sourceField = input.sourceField ?? current.sourceField
            let same = input.type == current.type && input.text == current.text && input.labels == current.labels
                && input.metadata == current.metadata && input.sourceThingId == current.sourceThingId
                && input.sourceField == current.sourceField
            guard !same else { return nil }
        }
        return creation(.knowledge, key: key, replacing: current?.id, relinking: existing != nil, fields: fields, in: scope) {
            [input] in try await self.createKnowledge(input, in: scope).id
        } delete: { id in
            try await self.deleteKnowledge(id: id, in: scope)
        }
    }

    /// The plan that makes a record and links the outside ID to it: after deleting `replacing`
    /// (the record it takes the place of), moving an existing link when `relinking`.
    private func creation(
        _ dimension: SyncDimension, key: SyncKey, replacing: String? = nil, relinking: Bool, fields: SyncFields,
        in scope: Scope, create: @escaping @Sendable () async throws -> String,
        delete: @escaping @Sendable (String) async throws -> Void = { _ in }
    ) -> SyncPlan {
        SyncPlan(isCreate: replacing == nil) {
            try await fields.scoping {
                if let replacing { try await delete(replacing) }
                let id = try await create()
                try await self.link(key, dimension, to: id, replacing: relinking, in: scope)
                return id
            }
        }
    }

    /// One end of a synced connection: an ID, or the outside ID of a thing or a person synced
    /// from the same source.
    private func end(_ name: String, _ fields: SyncFields, key: SyncKey, batch: SyncBatch) throws -> String? {
        guard let external = try fields.string("\(name)ExternalId") else { return try fields.string("\(name)Id") }
        let field = "\(fields.field).\(name)ExternalId"
        if fields.has("\(name)Id") {
            throw OneError.validation(field, "\(fields.field) names its \(name) end twice: send \(name)Id or \(name)ExternalId")
        }
        return try batch.reference(external, key: key, field: field, peopleToo: true)
    }
}

/// What a sync batch reads before planning its records (``OneService/readAhead``).
struct SyncBatch: Sendable {
    /// Where each record's outside ID points, in the batch's dimension.
    var links: [SyncKey: String] = [:]
    /// The live records those are, for things and people (updated in place).
    var things: [String: Thing] = [:]
    var people: [String: Person] = [:]
    /// Where the outside IDs the records refer to point, among things and people.
    var thingLinks: [SyncKey: String] = [:]
    var personLinks: [SyncKey: String] = [:]

    /// The record an outside ID of the record's source names: a thing, or else a person.
    func reference(_ externalId: String, key: SyncKey, field: String, peopleToo: Bool) throws(OneError) -> String {
        let reference = SyncKey(source: key.source, externalId: externalId)
        if let id = thingLinks[reference] ?? (peopleToo ? personLinks[reference] : nil) { return id }
        let kinds = peopleToo ? "thing or person" : "thing"
        throw OneError(.notFound, "\(field) names no \(kinds) synced from \(key.source)", field: field)
    }
}

extension SyncFields {
    /// Runs a write, naming this record in any error it throws.
    func scoping<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as OneError {
            throw scoped(error)
        }
    }
}

extension JSONValue {
    /// The JSON merge patch (RFC 7396) that turns this value into `target`: members of
    /// `target` that differ, `null` for members it lacks, objects patched member by member.
    func mergePatch(to target: JSONValue) -> JSONValue {
        guard case .object(let current) = self, case .object(let wanted) = target else { return target }
        var patch: [String: JSONValue] = [:]
        for key in current.keys where wanted[key] == nil { patch[key] = .null }
        for (key, value) in wanted where current[key] != value {
            patch[key] = current[key].map { $0.mergePatch(to: value) } ?? value
        }
        return .object(patch)
    }
}
