import OneAuth
import OneCore

/// The JSON shapes of `/api/auth`. Secrets appear only where they are issued.
extension Identity: JSONRepresentable {
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "_id": .string(id), "email": .string(email), "emailVerified": .bool(emailVerifiedAt != nil),
            "twoFactorEnabled": .bool(requiresSecondFactor), "createdAt": .integer(createdAt),
        ]
        object["name"] = name.map(JSONValue.string)
        return .object(object)
    }
}

extension Session: JSONRepresentable {
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "_id": .string(id), "createdAt": .integer(createdAt), "expiresAt": .integer(expiresAt),
        ]
        object["userAgent"] = userAgent.map(JSONValue.string)
        object["address"] = address.map(JSONValue.string)
        return .object(object)
    }
}

extension MembershipGrant: JSONRepresentable {
    public var json: JSONValue {
        ["groupId": .string(groupId), "personId": .string(personId), "role": .string(role.rawValue), "permissions": .init(permissions)]
    }
}

extension IssuedSession: JSONRepresentable {
    public var json: JSONValue { ["_id": .string(session.id), "token": .string(token), "expiresAt": .integer(session.expiresAt)] }
}

extension SignedIn: JSONRepresentable {
    public var json: JSONValue {
        ["user": identity.json, "session": session?.json ?? .null, "verificationRequired": .bool(verificationRequired)]
    }
}

extension SignInOutcome: JSONRepresentable {
    public var json: JSONValue {
        switch self {
        case .signedIn(let signedIn): signedIn.json
        case .twoFactorRequired(let challenge): ["twoFactorRequired": true, "challenge": .string(challenge)]
        }
    }
}

extension SessionInfo: JSONRepresentable {
    public var json: JSONValue {
        ["user": identity.json, "session": session.json, "memberships": .array(memberships.map(\.json))]
    }
}

extension TwoFactorSetup: JSONRepresentable {
    public var json: JSONValue { ["secret": .string(secret), "uri": .string(uri), "backupCodes": .init(backupCodes)] }
}
