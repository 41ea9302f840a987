import Foundation
import OneCore

/// A query a client may subscribe to, named after the REST route it mirrors, with its arguments
/// checked. Running it goes through the same domain operation as that route, so a subscription
/// gets exactly the route's access checks and exactly its response body.
struct RealtimeQuery: Hashable, Sendable {
    enum Name: String, CaseIterable, Sendable {
        case thingsGet = "things.get"
        case thingsList = "things.list"
        case connectionsFrom = "connections.from"
        case connectionsTo = "connections.to"
        case eventsTimeline = "events.timeline"
        case eventsTarget = "events.target"
        case peopleList = "people.list"
        case knowledgeList = "knowledge.list"
        case groupsChildren = "groups.children"

        /// The arguments each query takes besides `groupId`, which every query accepts.
        var arguments: Set<String> {
            switch self {
            case .thingsGet: ["id"]
            case .thingsList: ["type", "status", "q", "limit"]
            case .connectionsFrom, .connectionsTo, .groupsChildren: ["id", "limit"]
            case .eventsTimeline, .peopleList: ["limit"]
            case .eventsTarget: ["id", "order", "limit"]
            case .knowledgeList: ["type", "label", "sourceThingId", "limit"]
            }
        }

        /// The kinds of ID `id` may be, for the queries that take one, as their REST routes accept.
        var idKinds: [IDKind]? {
            switch self {
            case .thingsGet: [.thing]
            case .connectionsFrom, .connectionsTo: [.thing, .person]
            case .groupsChildren: [.group]
            case .eventsTarget, .thingsList, .eventsTimeline, .peopleList, .knowledgeList: nil
            }
        }
    }

    let name: Name
    /// The arguments as text, as the REST route's query string would carry them.
    let arguments: [String: String]
    let limit: Int

    /// Parses `query` and `args` of a subscribe message. Unknown queries and arguments, and
    /// arguments of the wrong form, are refused naming the field; `args.groupId` is returned
    /// apart, since it picks the scope rather than the result.
    static func parse(query: String?, args: JSONValue?) throws(OneError) -> (RealtimeQuery, groupId: String?) {
        guard let query else { throw OneError.validation("query", "query is required, such as things.list") }
        guard let name = Name(rawValue: query) else {
            let known = Name.allCases.map(\.rawValue).joined(separator: ", ")
            throw OneError.validation("query", "unknown query \(query); known queries: \(known)")
        }
        var arguments: [String: String] = [:]
        var groupId: String?
        switch args {
        case nil, .null?: break
        case .object(let object)?:
            for (key, value) in object {
                guard key == "groupId" || name.arguments.contains(key) else {
                    throw OneError.validation("args.\(key)", "\(query) takes no argument \(key)")
                }
                let text: String
                switch value {
                case .string(let string): text = string
                case .integer(let integer) where key == "limit": text = String(integer)
                default: throw OneError.validation("args.\(key)", "args.\(key) must be a string")
                }
                if key == "groupId" { groupId = text } else { arguments[key] = text }
            }
        default:
            throw OneError.validation("args", "args must be an object")
        }
        if let kinds = name.idKinds {
            guard let id = arguments["id"] else { throw OneError.validation("args.id", "\(query) needs args.id") }
            guard kinds.contains(where: { $0.matches(id) }) else {
                let forms = kinds.map { "\($0.rawValue)_…" }.joined(separator: " or ")
                throw OneError(.invalidID, "args.id must be an ID of the form \(forms)", field: "args.id")
            }
        } else if name == .eventsTarget, arguments["id"] == nil {
            throw OneError.validation("args.id", "\(query) needs args.id")
        }
        if let order = arguments["order"], order != "asc", order != "desc" {
            throw OneError.validation("args.order", "args.order must be asc or desc")
        }
        var limit = ListQuery.defaultLimit
        if let text = arguments["limit"] {
            guard let value = Int(text), (1...ListQuery.maxLimit).contains(value) else {
                throw OneError.validation("args.limit", "args.limit must be an integer from 1 to \(ListQuery.maxLimit)")
            }
            limit = value
        }
        for (key, value) in arguments where value.count > 200 {
            throw OneError.validation("args.\(key)", "args.\(key) must be at most 200 characters")
        }
        return (RealtimeQuery(name: name, arguments: arguments, limit: limit), groupId)
    }

    private func text(_ key: String) -> String? {
        guard let value = arguments[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// The result, as the REST route's body: runs the route's domain operation in `scope`.
    func run(_ service: OneService, in scope: Scope) async throws -> JSONValue {
        let page = PageRequest(limit: limit)
        let id = arguments["id"] ?? ""
        switch name {
        case .thingsGet:
            return try await service.thing(id: id, in: scope).json
        case .thingsList:
            let filter = ThingQuery(groupId: "", type: text("type"), status: text("status"), text: text("q"))
            return ListResponse(try await service.things(filter, in: scope, page: page)).json
        case .connectionsFrom, .connectionsTo:
            let outgoing = name == .connectionsFrom
            return ListResponse(try await service.connections(of: id, outgoing: outgoing, in: scope, page: page)).json
        case .eventsTimeline:
            return ListResponse(try await service.events(EventQuery(groupId: "", newestFirst: true), in: scope, page: page)).json
        case .eventsTarget:
            let filter = EventQuery(groupId: "", targetId: id, newestFirst: arguments["order"] == "desc")
            return ListResponse(try await service.events(filter, in: scope, page: page)).json
        case .peopleList:
            return ListResponse(try await service.people(in: scope, page: page)).json
        case .knowledgeList:
            let filter = KnowledgeQuery(
                groupId: "", type: text("type"), label: text("label"), sourceThingId: text("sourceThingId"))
            return ListResponse(try await service.knowledge(filter, in: scope, page: page)).json
        case .groupsChildren:
            return ListResponse(try await service.groups(as: scope.principal, parentId: id, page: page)).json
        }
    }

    /// What the result reads, so the hub re-runs it only for events that can change it.
    func reads(in groupId: String) -> Interest {
        switch name {
        case .thingsGet, .eventsTarget: .record(arguments["id"] ?? "")
        case .thingsList: .dimension(groupId: groupId, .thing)
        case .connectionsFrom, .connectionsTo: .dimension(groupId: groupId, .connection)
        case .peopleList: .dimension(groupId: groupId, .person)
        case .knowledgeList: .dimension(groupId: groupId, .knowledge)
        case .eventsTimeline: .group(groupId)
        case .groupsChildren: .groups
        }
    }
}

/// The part of the store a subscription reads, and so the events that may change its result.
enum Interest: Hashable, Sendable {
    /// Events about one record (its ID is the event's target).
    case record(String)
    /// Events in one group about records of one kind.
    case dimension(groupId: String, IDKind)
    /// Every event in one group.
    case group(String)
    /// Events about any group: the tree changed.
    case groups

    /// The interests an event touches: the keys the hub looks up to find what to re-run.
    static func touched(by event: ChangeLogEntry) -> [Interest] {
        var touched: [Interest] = [.group(event.groupId)]
        if let target = event.targetId {
            touched.append(.record(target))
            if let kind = IDKind.of(target) {
                touched.append(.dimension(groupId: event.groupId, kind))
                if kind == .group { touched.append(.groups) }
            }
        }
        return touched
    }
}
