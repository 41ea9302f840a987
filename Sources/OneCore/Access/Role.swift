/// A person's or key's role in a group, highest first.
public enum Role: String, Codable, Sendable, CaseIterable, Comparable {
    case platformOwner = "platform_owner"
    case groupOwner = "group_owner"
    case groupUser = "group_user"
    case customer

    /// 4 for platform_owner down to 1 for customer.
    public var rank: Int {
        switch self {
        case .platformOwner: 4
        case .groupOwner: 3
        case .groupUser: 2
        case .customer: 1
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    /// Parses a role named in a request, with a 400 naming `field` and the allowed values.
    public static func parse(_ value: String, field: String) throws(OneError) -> Role {
        guard let role = Role(rawValue: value) else {
            let allowed = allCases.map(\.rawValue).joined(separator: ", ")
            throw OneError.validation(field, "\(field) must be one of: \(allowed)")
        }
        return role
    }
}
