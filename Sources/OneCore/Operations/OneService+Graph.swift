/// What a graph read asks for: where to start, which connections to follow, how far.
public struct GraphQuery: Sendable, Equatable {
    /// Which way connections are followed from each record.
    public enum Direction: String, Sendable, CaseIterable {
        case out, `in`, both
    }

    public static let defaultLimit = 100
    public static let maxLimit = 1000
    public static let maxDepth = 3

    public var types: [String]
    public var direction: Direction
    public var depth: Int
    /// The most records visited, the start included.
    public var limit: Int

    public init(types: [String] = [], direction: Direction = .out, depth: Int = 1, limit: Int = Self.defaultLimit) {
        self.types = types
        self.direction = direction
        self.depth = depth
        self.limit = limit
    }
}

/// The records reachable from a start and the connections that reach them, each once.
public struct Graph: Sendable {
    /// Things and people in the order they were reached, the start first.
    public var nodes: [JSONValue]
    public var connections: [Connection]
    /// Whether `limit` stopped the walk before it reached everything within `depth`.
    public var truncated: Bool
}

extension Graph: JSONRepresentable {
    public var json: JSONValue {
        ["nodes": .array(nodes), "connections": .array(connections.map(\.json)), "truncated": .bool(truncated)]
    }
}

extension OneService {
    /// Walks the graph breadth-first from a thing or a person of the scope's group.
    ///
    /// Work is bounded by `limit`: at most that many records are visited and at most four
    /// connections per record are read, so a dense graph answers quickly with `truncated: true`.
    public func graph(from startId: String, _ query: GraphQuery, in scope: Scope) async throws -> Graph {
        try AccessPolicy.require(scope.principal, .read, .things)
        try AccessPolicy.require(scope.principal, .read, .connections)
        guard (1...GraphQuery.maxDepth).contains(query.depth) else {
            throw OneError.validation("depth", "depth must be an integer from 1 to \(GraphQuery.maxDepth)")
        }
        guard (1...GraphQuery.maxLimit).contains(query.limit) else {
            throw OneError.validation("limit", "limit must be an integer from 1 to \(GraphQuery.maxLimit)")
        }
        for type in query.types { try ontology.checkConnectionType(type) }
        guard IDKind.thing.matches(startId) || IDKind.person.matches(startId) else {
            throw OneError(.invalidID, "id must be an ID of the form thg_… or usr_…", field: "id")
        }
        let group = scope.groupId
        guard let start = try await nodes([startId], in: scope).first else {
            throw OneError.notFound(IDKind.thing.matches(startId) ? "thing" : "person")
        }
        var nodes = [start.json]
        var visited: Set<String> = [startId]
        var connections: [Connection] = []
        var seenConnections: Set<String> = []
        var frontier = [startId]
        var truncated = false
        let edgeBudget = query.limit * 4
        walk: for _ in 1...query.depth where !frontier.isEmpty {
            let remainingEdges = edgeBudget - connections.count
            let edges = try await store.adjacentConnections(
                of: frontier, outgoing: query.direction != .in, incoming: query.direction != .out, types: query.types,
                groupId: group, limit: remainingEdges + 1)
            if edges.count > remainingEdges { truncated = true }
            let frontierSet = Set(frontier)
            var reached: [String] = []
            var reachedBy: [String: [Connection]] = [:]
            for edge in edges.prefix(remainingEdges) where !seenConnections.contains(edge.id) {
                let far = frontierSet.contains(edge.fromId) && query.direction != .in ? edge.toId : edge.fromId
                if visited.contains(far) {
                    seenConnections.insert(edge.id)
                    connections.append(edge)
                } else {
                    if reachedBy[far] == nil { reached.append(far) }
                    reachedBy[far, default: []].append(edge)
                }
            }
            let room = query.limit - visited.count
            if reached.count > room { truncated = true }
            let found = try await self.nodes(Array(reached.prefix(room)), in: scope)
            let foundById = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            frontier = []
            for id in reached.prefix(room) {
                guard let node = foundById[id] else { continue }  // archived, or no longer a member
                visited.insert(id)
                frontier.append(id)
                nodes.append(node.json)
                for edge in reachedBy[id] ?? [] where seenConnections.insert(edge.id).inserted {
                    connections.append(edge)
                }
            }
            if truncated { break walk }
        }
        return Graph(nodes: nodes, connections: connections, truncated: truncated)
    }

    /// The live things and the members among `ids`, as the caller may see them.
    private func nodes(_ ids: [String], in scope: Scope) async throws -> [GraphNode] {
        let thingIds = ids.filter(IDKind.thing.matches)
        let personIds = ids.filter(IDKind.person.matches)
        var found: [GraphNode] = []
        if !thingIds.isEmpty {
            found += try await store.liveThings(ids: thingIds, groupId: scope.groupId).map(GraphNode.thing)
        }
        if !personIds.isEmpty {
            let seesPeople = AccessPolicy.allows(scope.principal.role, .read, .people) && scope.principal.role >= .groupUser
            found += try await store.people(ids: personIds, groupId: scope.groupId).map { person in
                seesPeople || person.id == scope.principal.actorId ? .person(person) : .hiddenPerson(person.id)
            }
        }
        return found
    }
}

/// A record reached by a graph walk.
private enum GraphNode {
    case thing(Thing)
    case person(Person)
    /// A member the caller may not read: only their ID is shown.
    case hiddenPerson(String)

    var id: String {
        switch self {
        case .thing(let thing): thing.id
        case .person(let person): person.id
        case .hiddenPerson(let id): id
        }
    }

    var json: JSONValue {
        switch self {
        case .thing(let thing): thing.json
        case .person(let person): person.json
        case .hiddenPerson(let id): ["_id": .string(id)]
        }
    }
}
