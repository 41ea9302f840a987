import Hummingbird
import OneCore

/// `/api/events`: the audit trail. Append-only: no route edits or deletes an event.
struct EventController {
    let service: OneService

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get { request, context in try await list(request, context) }
        routes.get("timeline") { request, context in try await list(request, context, newestFirst: true) }
        routes.get("actor/:id") { request, context in try await list(request, context, actorId: try context.id) }
        routes.get("target/:id") { request, context in try await list(request, context, targetId: try context.id) }
        routes.post { request, context in
            var request = request
            let input = try await request.decodeBody(NewEvent.self, context: context)
            return JSON(try await service.logEvent(input, in: try await context.scope(service, request)), status: .created)
        }
        routes.get(":id") { request, context in
            JSON(try await service.event(id: try context.id, in: try await context.scope(service, request)))
        }
        return routes
    }

    /// Every event list: filters from the query, narrowed by the route; pages by sequence.
    private func list(
        _ request: Request, _ context: AppRequestContext, newestFirst: Bool = false, actorId: String? = nil,
        targetId: String? = nil
    ) async throws -> JSON<ListResponse<Event>> {
        let query = try ListQuery(request, keyedBySequence: ())
        let order = try query.text("order")
        guard order == nil || order == "asc" || order == "desc" else {
            throw OneError.validation("order", "order must be asc or desc")
        }
        let filter = EventQuery(
            groupId: "", type: try query.text("type"), actorId: try actorId ?? query.text("actorId"),
            targetId: try targetId ?? query.text("targetId"), since: try query.timestamp("since"),
            until: try query.timestamp("until"), newestFirst: newestFirst || order == "desc")
        let scope = try await context.scope(service, request)
        return JSON(ListResponse(try await service.events(
            filter, in: scope, page: query.page, includeChildren: try query.flag("includeChildren"))))
    }
}
