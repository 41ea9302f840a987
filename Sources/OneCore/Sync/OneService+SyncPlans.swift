/// How each dimension's records are compared with what the group holds, and written.
///
/// A record leaves alone the fields it does not send. Things and people are updated in
/// place; a connection or a piece of knowledge whose content changed is replaced (the old one
/// deleted, a new one created and linked), as neither has an update of its own.
extension OneService {
    func planThing(key: SyncKey, fields: SyncFields, existing: String?, in scope: Scope) async throws -> SyncPlan? {
        try fields.requireOnly(["type", "name", "properties", "status"])
        let type = try fields.string("type")
        let name = try fields.string("name")
        let status = try fields.string("status")
        let properties = fields.value("properties")
        if let existing, let current = try await store.thing(id: existing, groupId: scope.groupId), current.deletedAt == nil {
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
        let creation = SyncPlan.NewThingPlan(input: input, key: key, replacing: existing != nil)
        return SyncPlan(isCreate: true, newThing: creation) {
            try await fields.scoping {
                let thing = try await self.createThing(input, in: scope)
                try await self.link(key, .things, to: thing.id, replacing: existing != nil, in: scope)
                return thing.id
            }
        }
    }

    func planPerson(key: SyncKey, fields: SyncFields, existing: String?, in scope: Scope) async throws -> SyncPlan? {
        try fields.requireOnly(["email", "name", "role"])
        let email = try fields.string("email")
        let name = try fields.string("name")
        let role = try fields.string("role")
        if let existing, let current = try await store.person(id: existing, groupId: scope.groupId) {
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
        return SyncPlan(isCreate: true) {
            try await fields.scoping {
                let person = try await self.invitePerson(input, in: scope).person
                try await self.link(key, .people, to: person.id, replacing: existing != nil, in: scope)
                return person.id
            }
        }
    }

    func planConnection(key: SyncKey, fields: SyncFields, existing: String?, in scope: Scope) async throws -> SyncPlan? {
        try fields.requireOnly(["type", "fromId", "toId", "fromExternalId", "toExternalId", "metadata", "strength"])
        var input = NewConnection(
            fromId: try await end("from", fields, key: key, in: scope), toId: try await end("to", fields, key: key, in: scope),
            type: try fields.string("type"), metadata: fields.value("metadata"), strength: try fields.number("strength"))
        if let existing, let current = try await store.connection(id: existing, groupId: scope.groupId), current.deletedAt == nil {
            input.type = input.type ?? current.type
            input.fromId = input.fromId ?? current.fromId
            input.toId = input.toId ?? current.toId
            input.metadata = input.metadata ?? current.metadata
            input.strength = input.strength ?? current.strength
            let same = input.type == current.type && input.fromId == current.fromId && input.toId == current.toId
                && input.metadata == current.metadata && input.strength == current.strength
            guard !same else { return nil }
            return SyncPlan(isCreate: false) { [input] in
                try await fields.scoping {
                    try await self.deleteConnection(id: existing, in: scope)
                    return try await self.createLinked(input, key: key, replacing: true, in: scope)
                }
            }
        }
        return SyncPlan(isCreate: true) { [input] in
            try await fields.scoping { try await self.createLinked(input, key: key, replacing: existing != nil, in: scope) }
        }
    }

    func planKnowledge(key: SyncKey, fields: SyncFields, existing: String?, in scope: Scope) async throws -> SyncPlan? {
        try fields.requireOnly(["type", "text", "labels", "metadata", "sourceThingId", "sourceExternalId", "sourceField"])
        var sourceThingId = try fields.string("sourceThingId")
        if let external = try fields.string("sourceExternalId") {
            sourceThingId = try await linkedId(external, source: key.source, .things, in: scope, field: "\(fields.field).sourceExternalId")
        }
        var input = NewKnowledge(
            type: try fields.string("type"), text: try fields.string("text"), labels: try fields.strings("labels"),
            metadata: fields.value("metadata"), sourceThingId: sourceThingId, sourceField: try fields.string("sourceField"))
        if let existing, let current = try await store.knowledge(id: existing, groupId: scope.groupId), current.deletedAt == nil {
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
            return SyncPlan(isCreate: false) { [input] in
                try await fields.scoping {
                    try await self.deleteKnowledge(id: existing, in: scope)
                    return try await self.createLinked(input, key: key, replacing: true, in: scope)
                }
            }
        }
        return SyncPlan(isCreate: true) { [input] in
            try await fields.scoping { try await self.createLinked(input, key: key, replacing: existing != nil, in: scope) }
        }
    }

    /// One end of a synced connection: an ID, or the external ID of a thing or a person synced
    /// from the same source.
    private func end(_ name: String, _ fields: SyncFields, key: SyncKey, in scope: Scope) async throws -> String? {
        guard let external = try fields.string("\(name)ExternalId") else { return try fields.string("\(name)Id") }
        let field = "\(fields.field).\(name)ExternalId"
        if fields.has("\(name)Id") {
            throw OneError.validation(field, "\(fields.field) names its \(name) end twice: send \(name)Id or \(name)ExternalId")
        }
        do {
            return try await linkedId(external, source: key.source, .things, in: scope, field: field)
        } catch let error as OneError where error.code == .notFound {
            return try await linkedId(external, source: key.source, .people, in: scope, field: field)
        }
    }

    private func createLinked(
        _ input: NewConnection, key: SyncKey, replacing: Bool = false, in scope: Scope
    ) async throws -> String {
        let connection = try await createConnection(input, in: scope)
        try await link(key, .connections, to: connection.id, replacing: replacing, in: scope)
        return connection.id
    }

    private func createLinked(
        _ input: NewKnowledge, key: SyncKey, replacing: Bool = false, in scope: Scope
    ) async throws -> String {
        let knowledge = try await createKnowledge(input, in: scope)
        try await link(key, .knowledge, to: knowledge.id, replacing: replacing, in: scope)
        return knowledge.id
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
