import Hummingbird
import OneAuth
import OneCore

/// `/api/people`: members of a group and their roles.
struct PeopleController {
    let service: OneService
    let auth: AuthService

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get { request, context in
            let query = try ListQuery(request, keyedBy: .person)
            let scope = try await context.scope(service, request)
            return JSON(ListResponse(
                try await service.people(in: scope, page: query.page, includeChildren: try query.flag("includeChildren"))))
        }
        routes.post { request, context in
            var request = request
            let input = try await request.decodeBody(NewPerson.self, context: context)
            return JSON(try await auth.invite(input, in: try await context.scope(service, request)), status: .created)
        }
        routes.get(":id") { request, context in
            JSON(try await service.person(id: try context.id, in: try await context.scope(service, request)))
        }
        routes.patch(":id") { request, context in
            var request = request
            let patch = try await request.decodeBody(PersonPatch.self, context: context)
            return JSON(try await service.updatePerson(id: try context.id, patch, in: try await context.scope(service, request)))
        }
        routes.delete(":id") { request, context in
            let id = try context.id
            try await service.removePerson(id: id, in: try await context.scope(service, request))
            return JSON(Deleted(id))
        }
        routes.get(":id/groups") { request, context in
            let scope = try await context.scope(service, request)
            return JSON(ListResponse(all: try await service.memberships(ofPerson: try context.id, in: scope)))
        }
        return routes
    }
}
