import Hummingbird
import OneCore

/// `/api/things`: typed entities with JSON properties.
struct ThingController {
    let service: OneService

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get { request, context in
            let query = try ListQuery(request, keyedBy: .thing)
            let tags = request.uri.queryParameters[values: "tag"].map { TagFilter(parsing: String($0)) }
            let filter = ThingQuery(
                groupId: "", type: try query.text("type"), status: try query.text("status"), text: try query.text("q"),
                tags: tags)
            let page = try await service.things(
                filter, in: try await context.scope(service, request), page: query.page,
                includeChildren: try query.flag("includeChildren"))
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
        routes.put(":id/tags/:key") { request, context in
            var request = request
            let body = try await request.decodeBody(TagValue.self, context: context)
            let scope = try await context.scope(service, request)
            return JSON(try await service.setTag(thingId: try context.id, key: try context.parameter("key"), value: body.value, in: scope))
        }
        routes.delete(":id/tags/:key") { request, context in
            let scope = try await context.scope(service, request)
            return JSON(try await service.removeTag(thingId: try context.id, key: try context.parameter("key"), in: scope))
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

/// The body of `PUT /api/things/:id/tags/:key`.
struct TagValue: Decodable {
    var value: String?
}
