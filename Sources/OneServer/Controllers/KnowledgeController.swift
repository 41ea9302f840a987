import Hummingbird
import OneCore

/// `/api/knowledge`: labels, documents (chunked and embedded as they are written), chunks, and
/// search over them.
struct KnowledgeController {
    let service: OneService

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get { request, context in
            let query = try ListQuery(request, keyedBy: .knowledge)
            let filter = KnowledgeQuery(
                groupId: "", type: try query.text("type"), label: try query.text("label"),
                sourceThingId: try query.text("sourceThingId"))
            let scope = try await context.scope(service, request)
            return JSON(ListResponse(try await service.knowledge(
                filter, in: scope, page: query.page, includeChildren: try query.flag("includeChildren"))))
        }
        routes.post { request, context in
            var request = request
            let input = try await request.decodeBody(NewKnowledge.self, context: context)
            return JSON(try await service.createKnowledge(input, in: try await context.scope(service, request)), status: .created)
        }
        routes.post("search", KnowledgeSearch.self, service: service) { try await service.searchKnowledge($0, in: $1) }
        routes.post("embed", EmbedRequest.self, service: service) { try await service.embedTexts($0, in: $1) }
        routes.post("reembed", ReembedRequest.self, service: service) { try await service.reembedKnowledge($0, in: $1) }
        routes.get(":id") { request, context in
            JSON(try await service.knowledge(id: try context.id, in: try await context.scope(service, request)))
        }
        routes.delete(":id") { request, context in
            let id = try context.id
            try await service.deleteKnowledge(id: id, in: try await context.scope(service, request))
            return JSON(Deleted(id))
        }
        return routes
    }
}
