/// A record's wire form built directly as a ``JSONValue``.
///
/// Responses, stored JSON columns and event change records are made from this rather than
/// through `Codable`, whose Foundation coders cost more than the query on a keyed read. The
/// `Codable` conformances describe the same shape; a unit test holds the two equal.
public protocol JSONRepresentable: Sendable {
    var json: JSONValue { get }
}

extension JSONValue {
    init(_ timestamp: Timestamp) { self = .integer(Int64(timestamp)) }
    public init(_ strings: [String]) { self = .array(strings.map(JSONValue.string)) }

    /// The strings of an array of strings; `nil` for anything else.
    public var stringArray: [String]? {
        guard case .array(let items) = self else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(items.count)
        for item in items {
            guard let string = item.stringValue else { return nil }
            strings.append(string)
        }
        return strings
    }
}

extension Thing: JSONRepresentable {
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "_id": .string(id), "groupId": .string(groupId), "type": .string(type), "name": .string(name),
            "properties": properties, "status": .string(status), "tags": .init(tags), "createdAt": .init(createdAt),
            "updatedAt": .init(updatedAt),
        ]
        object["createdBy"] = createdBy.map(JSONValue.string)
        object["deletedAt"] = deletedAt.map(JSONValue.init)
        return .object(object)
    }
}

extension JSONValue {
    public init(_ strings: [String: String]) { self = .object(strings.mapValues(JSONValue.string)) }

    /// The members of an object whose values are all strings; `nil` for anything else.
    public var stringDictionary: [String: String]? {
        guard case .object(let members) = self else { return nil }
        var strings: [String: String] = [:]
        for (key, value) in members {
            guard let string = value.stringValue else { return nil }
            strings[key] = string
        }
        return strings
    }
}

extension Connection: JSONRepresentable {
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "_id": .string(id), "groupId": .string(groupId), "fromId": .string(fromId), "toId": .string(toId),
            "type": .string(type), "metadata": metadata, "createdAt": .init(createdAt), "updatedAt": .init(updatedAt),
        ]
        object["strength"] = strength.map(JSONValue.number)
        object["validFrom"] = validFrom.map(JSONValue.init)
        object["validTo"] = validTo.map(JSONValue.init)
        object["createdBy"] = createdBy.map(JSONValue.string)
        object["deletedAt"] = deletedAt.map(JSONValue.init)
        return .object(object)
    }
}

extension Knowledge: JSONRepresentable {
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "_id": .string(id), "groupId": .string(groupId), "type": .string(type), "labels": .init(labels),
            "metadata": metadata, "createdAt": .init(createdAt), "updatedAt": .init(updatedAt),
        ]
        object["text"] = text.map(JSONValue.string)
        object["sourceThingId"] = sourceThingId.map(JSONValue.string)
        object["sourceField"] = sourceField.map(JSONValue.string)
        object["createdBy"] = createdBy.map(JSONValue.string)
        object["deletedAt"] = deletedAt.map(JSONValue.init)
        return .object(object)
    }
}

extension Group: JSONRepresentable {
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "_id": .string(id), "slug": .string(slug), "name": .string(name), "type": .string(type),
            "metadata": metadata, "settings": settings.json, "status": .string(status.rawValue),
            "createdAt": .init(createdAt), "updatedAt": .init(updatedAt),
        ]
        object["parentGroupId"] = parentGroupId.map(JSONValue.string)
        object["description"] = description.map(JSONValue.string)
        return .object(object)
    }
}

extension GroupSettings: JSONRepresentable {
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        object["visibility"] = visibility.map { .string($0.rawValue) }
        object["joinPolicy"] = joinPolicy.map { .string($0.rawValue) }
        object["plan"] = plan.map { .string($0.rawValue) }
        object["limits"] = limits.map { limits in
            .object(Dictionary(uniqueKeysWithValues: limits.map { ($0.key.rawValue, JSONValue.integer(Int64($0.value))) }))
        }
        return .object(object)
    }

    /// Reads settings written by ``json``.
    public init(json: JSONValue) throws(OneError) {
        guard let object = json.objectValue else { throw OneError(.internal, "stored group settings are not an object") }
        self.init(
            visibility: object["visibility"]?.stringValue.flatMap(Visibility.init(rawValue:)),
            joinPolicy: object["joinPolicy"]?.stringValue.flatMap(JoinPolicy.init(rawValue:)),
            plan: object["plan"]?.stringValue.flatMap(Plan.init(rawValue:)),
            limits: object["limits"]?.objectValue.map { limits in
                Dictionary(uniqueKeysWithValues: limits.compactMap { key, value in
                    QuotaResource(rawValue: key).flatMap { resource in value.integerValue.map { (resource, $0) } }
                })
            })
    }
}

extension Person: JSONRepresentable {
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "_id": .string(id), "groupId": .string(groupId), "email": .string(email), "name": .string(name),
            "role": .string(role.rawValue), "permissions": .init(permissions), "status": .string(status.rawValue),
            "createdAt": .init(createdAt), "updatedAt": .init(updatedAt),
        ]
        object["username"] = username.map(JSONValue.string)
        object["bio"] = bio.map(JSONValue.string)
        object["avatar"] = avatar.map(JSONValue.string)
        return .object(object)
    }
}

extension Membership: JSONRepresentable {
    public var json: JSONValue {
        [
            "_id": .string(id), "personId": .string(personId), "groupId": .string(groupId), "role": .string(role.rawValue),
            "permissions": .init(permissions), "createdAt": .init(createdAt), "updatedAt": .init(updatedAt),
        ]
    }
}

extension Event: JSONRepresentable {
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "_id": .string(id), "groupId": .string(groupId), "sequence": .integer(sequence), "type": .string(type),
            "timestamp": .init(timestamp), "metadata": metadata,
        ]
        object["actorId"] = actorId.map(JSONValue.string)
        object["targetId"] = targetId.map(JSONValue.string)
        object["change"] = change?.json
        return .object(object)
    }
}

extension Change: JSONRepresentable {
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        object["before"] = before
        object["after"] = after
        return .object(object)
    }

    /// Reads a change written by ``json``.
    public init(json: JSONValue) {
        self.init(before: json.objectValue?["before"], after: json.objectValue?["after"])
    }
}

extension APIKey: JSONRepresentable {
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "_id": .string(id), "groupId": .string(groupId), "name": .string(name), "role": .string(role.rawValue),
            "permissions": .init(permissions), "rateLimit": rateLimit.json, "prefix": .string(prefix),
            "createdAt": .init(createdAt), "status": .string(status.rawValue),
        ]
        object["personId"] = personId.map(JSONValue.string)
        object["expiresAt"] = expiresAt.map(JSONValue.init)
        object["lastUsedAt"] = lastUsedAt.map(JSONValue.init)
        return .object(object)
    }
}

extension RateLimit: JSONRepresentable {
    public var json: JSONValue { ["requests": .integer(Int64(requests)), "burst": .integer(Int64(burst))] }
}

extension JSONValue: JSONRepresentable {
    public var json: JSONValue { self }
}
