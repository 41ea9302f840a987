/// What part of the API an operation touches.
public enum Resource: String, Sendable, CaseIterable {
    case groups, people, things, connections, events, knowledge, keys
}

/// What an operation does to its resource.
public enum Action: String, Sendable {
    case read, create, update, delete

    var isWrite: Bool { self != .read }
}

/// A key's optional narrowing of its role: `things:read`, `things:write`, `things:*` or `*`.
/// An empty set leaves the role alone; a non-empty set allows only what it lists.
public struct PermissionSet: Sendable, Equatable {
    public let entries: [String]
    private let granted: Set<String>

    public init(_ entries: [String]) {
        self.entries = entries
        self.granted = Set(entries)
    }

    public func allows(_ resource: Resource, _ action: Action) -> Bool {
        if granted.isEmpty || granted.contains("*") || granted.contains("\(resource.rawValue):*") { return true }
        return granted.contains("\(resource.rawValue):\(action.isWrite ? "write" : "read")")
    }

    /// Checks each entry is a known permission, naming `field` when one is not.
    public static func validate(_ entries: [String], field: String) throws(OneError) -> [String] {
        let known = Set(["*", "sync"] + Resource.allCases.flatMap { ["\($0.rawValue):read", "\($0.rawValue):write", "\($0.rawValue):*"] })
        if let unknown = entries.first(where: { !known.contains($0) }) {
            throw OneError.validation(field, "\(field) has unknown permission '\(unknown)'; use resource:read, resource:write, resource:*, sync or *")
        }
        return entries
    }
}
