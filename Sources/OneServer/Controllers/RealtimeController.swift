import HTTPTypes
import Hummingbird
import OneCore

/// The HTTP side of realtime: tickets for browsers, the change feed for clients that pull, the
/// event stream, and a plain answer to a realtime request that did not ask to upgrade.
struct RealtimeController {
    let hub: RealtimeHub
    let tickets: RealtimeTickets
    let authenticator: RequestAuthenticator

    private var service: OneService { hub.service }

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("realtime") { _, _ -> Response in
            throw OneError(.upgradeRequired, "GET /api/realtime is a WebSocket: send Connection: Upgrade and Upgrade: websocket")
        }
        routes.post("realtime/ticket") { _, context in
            guard let credential = context.credential else { throw OneError(.unauthenticated, "authentication is required") }
            let (ticket, lifetime) = tickets.issue(for: credential)
            return JSON(RealtimeTicket(ticket: ticket, expiresIn: lifetime.components.seconds), status: .created)
        }
        routes.get("changes") { request, context in
            let parameters = request.uri.queryParameters
            let after = try Self.sequence(parameters["after"].map(String.init), field: "after") ?? 0
            var limit = OneService.defaultChangePageSize
            if let text = parameters["limit"] {
                guard let value = Int(text) else {
                    throw OneError.validation("limit", "limit must be an integer from 1 to \(OneService.maxChangePageSize)")
                }
                limit = value
            }
            let scope = try await context.scope(service, request)
            return JSON(ChangeFeedPage(try await service.changes(after: after, limit: limit, in: scope)))
        }
        routes.get("events/stream") { request, context in
            let query = try ListQuery(request, keyedBySequence: ())
            guard let credential = context.credential else { throw OneError(.unauthenticated, "authentication is required") }
            let groupId = authenticator.groupId(of: request)
            let scope = try await service.scope(for: try context.requirePrincipal(), groupId: groupId)
            let filter = EventQuery(groupId: "", type: try query.text("type"), targetId: try query.text("targetId"))
            let resume = try Self.sequence(request.headers[.lastEventID], field: "Last-Event-ID")
            var after = try resume ?? Self.sequence(query.text("after"), field: "after")
            if after == nil { after = try await service.store.lastSequence() }
            let stream = EventStream(
                hub: hub, credential: credential, groupId: groupId, filter: filter, heartbeat: hub.configuration.heartbeat)
            return try await stream.response(after: after ?? 0, groupId: scope.groupId)
        }
        return routes
    }

    private static func sequence(_ text: String?, field: String) throws -> Int64? {
        guard let text else { return nil }
        guard let value = Int64(text), value >= 0 else {
            throw OneError.validation(field, "\(field) must be an event sequence number, 0 or more")
        }
        return value
    }
}

/// The answer to `POST /api/realtime/ticket`.
struct RealtimeTicket: JSONRepresentable {
    let ticket: String
    let expiresIn: Int64

    var json: JSONValue { ["ticket": .string(ticket), "expiresIn": .integer(expiresIn)] }
}

/// A page of `GET /api/changes`: `{results, hasMore, next}`.
struct ChangeFeedPage: JSONRepresentable {
    let page: ChangePage

    init(_ page: ChangePage) { self.page = page }

    var json: JSONValue {
        ["results": .array(page.results.map(\.json)), "hasMore": .bool(page.hasMore), "next": .integer(page.next)]
    }
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}
