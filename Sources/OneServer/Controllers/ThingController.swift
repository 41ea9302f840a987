import Hummingbird
import OneCore

/// `/api/things`: typed entities with JSON properties.
struct ThingController {
    let service: OneService

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get { request, context in
            let query = try ListQuery(request, keyedBy: .thing)
            let filter = ThingQuery(
                groupId: "", type: try query.text("type"), status: try query.text("status"), text: try query.text("q"))
            let page = try await service.things(filter, in: try await context.scope(service, request), page: query.page)
            return JSON(ListResponse(page))
        }
        routes.post { request, context in
            var request = request
            let input = try await request.decodeBody(NewThing.self, context: context)
            return JSON(try await service.createThing(input, in: try await context.scope(service, request)), status: .created)
        }
        routes.get(":id") { request, context in
            JSON(try await service.thing(id: try context.id, in: try await context.scope(service, request)))
        }
        routes.patch(":id") { request, context in
            var request = request
            let patch = try await request.decodeBody(ThingPatch.self, context: context)
            return JSON(try await service.updateThing(id: try context.id, patch, in: try await context.scope(service, request)))
        }
        routes.delete(":id") { request, context in
            JSON(try await service.archiveThing(id: try context.id, in: try await context.scope(service, request)))
        }
        routes.get(":id/connections") { request, context in
            let query = try ListQuery(request, keyedBy: .connection)
            let scope = try await context.scope(service, request)
            return JSON(ListResponse(try await service.connections(ofThing: try context.id, in: scope, page: query.page)))
        }
        routes.get(":id/events") { request, context in
            let query = try ListQuery(request, keyedBySequence: ())
            let scope = try await context.scope(service, request)
            return JSON(ListResponse(try await service.events(ofThing: try context.id, in: scope, page: query.page)))
        }
        return routes
    }
}
