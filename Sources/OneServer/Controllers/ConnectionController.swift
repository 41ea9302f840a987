import Hummingbird
import OneCore

/// `/api/connections`: typed, directed relationships between things.
struct ConnectionController {
    let service: OneService

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get { request, context in
            let query = try ListQuery(request, keyedBy: .connection)
            let filter = ConnectionQuery(
                groupId: "", fromId: try query.text("fromId"), toId: try query.text("toId"),
                type: try query.text("type"))
            let scope = try await context.scope(service, request)
            return JSON(ListResponse(try await service.connections(
                filter, in: scope, page: query.page, includeChildren: try query.flag("includeChildren"))))
        }
        routes.post { request, context in
            var request = request
            let input = try await request.decodeBody(NewConnection.self, context: context)
            let scope = try await context.scope(service, request)
            return JSON(try await service.createConnection(input, in: scope), status: .created)
        }
        routes.get(":id") { request, context in
            JSON(try await service.connection(id: try context.id, in: try await context.scope(service, request)))
        }
        routes.delete(":id") { request, context in
            let id = try context.id
            try await service.deleteConnection(id: id, in: try await context.scope(service, request))
            return JSON(Deleted(id))
        }
        for (path, outgoing) in [("from/:id", true), ("to/:id", false)] {
            routes.get(RouterPath(path)) { request, context in
                let query = try ListQuery(request, keyedBy: .connection)
                let scope = try await context.scope(service, request)
                let page = try await service.connections(of: try context.id, outgoing: outgoing, in: scope, page: query.page)
                return JSON(ListResponse(page))
            }
        }
        return routes
    }
}
