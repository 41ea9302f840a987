/// The role matrix of the ONE platform, as data and one function.
///
/// | role | groups | people | things | connections | events | knowledge | keys |
/// |---|---|---|---|---|---|---|---|
/// | platform_owner | all | all | all | all | all | all | all |
/// | group_owner | own + descendants | all | all | all | all | all | create, list, revoke (up to its role) |
/// | group_user | read | read | read, create, edit own | read, create | read, create | read, create | none |
/// | customer | none | read self | read | read | none | none | none |
public enum AccessPolicy {
    /// Whether `role` may do `action` on `resource` at all. Ownership rules ("edit own",
    /// "read self") are checked by the operation that knows the record.
    public static func allows(_ role: Role, _ action: Action, _ resource: Resource) -> Bool {
        switch role {
        case .platformOwner, .groupOwner:
            return true
        case .groupUser:
            switch resource {
            case .groups, .people: return action == .read
            case .things: return true
            case .connections, .events, .knowledge: return action == .read || action == .create
            case .keys: return false
            }
        case .customer:
            switch resource {
            case .people, .things, .connections: return action == .read
            case .groups, .events, .knowledge, .keys: return false
            }
        }
    }

    /// Throws 403 unless the principal's role and permissions allow the action.
    public static func require(_ principal: Principal, _ action: Action, _ resource: Resource) throws(OneError) {
        guard allows(principal.role, action, resource) else {
            throw OneError.forbidden("role \(principal.role.rawValue) may not \(action.rawValue) \(resource.rawValue)")
        }
        guard principal.permissions.allows(resource, action) else {
            throw OneError.forbidden("this API key's permissions do not allow \(action.rawValue) on \(resource.rawValue)")
        }
    }

    /// Group users may change only what they created; owners may change anything in scope.
    public static func requireOwnership(_ principal: Principal, of createdBy: String?) throws(OneError) {
        if principal.role >= .groupOwner || createdBy == principal.actorId { return }
        throw OneError.forbidden("role \(principal.role.rawValue) may edit only what it created")
    }
}
