import Hummingbird
import OneCore

/// `/api/groups`: tenants and their nesting. Where the path names a group, reach is checked
/// against the key's own group; `POST` creates under the `X-Group-Id` group by default.
struct GroupController {
    let service: OneService

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get { request, context in
            let query = try ListQuery(request, keyedBy: .group)
            let parentId = try query.text("parentId")
            let page = try await service.groups(as: try context.requirePrincipal(), parentId: parentId, page: query.page)
            return JSON(ListResponse(page))
        }
        routes.post { request, context in
            var request = request
            let input = try await request.decodeBody(NewGroup.self, context: context)
            let scope = try await context.scope(service, request)
            return JSON(try await service.createGroup(input, in: scope), status: .created)
        }
        routes.get(":id") { request, context in
            JSON(try await service.group(id: try context.id, as: try context.requirePrincipal()))
        }
        routes.patch(":id") { request, context in
            var request = request
            let patch = try await request.decodeBody(GroupPatch.self, context: context)
            return JSON(try await service.updateGroup(id: try context.id, patch, as: try context.requirePrincipal()))
        }
        routes.delete(":id") { request, context in
            JSON(try await service.archiveGroup(id: try context.id, as: try context.requirePrincipal()))
        }
        routes.get(":id/usage") { request, context in
            JSON(try await service.usage(ofGroup: try context.id, as: try context.requirePrincipal()))
        }
        routes.post(":id/sync-secret") { _, context in
            JSON(try await service.rotateSyncSecret(groupId: try context.id, as: try context.requirePrincipal()), status: .created)
        }
        routes.delete(":id/sync-secret") { _, context in
            let groupId = try context.id
            try await service.revokeSyncSecret(groupId: groupId, as: try context.requirePrincipal())
            return JSON(["groupId": .string(groupId), "revoked": true] as JSONValue)
        }
        routes.get(":id/children") { request, context in
            let query = try ListQuery(request, keyedBy: .group)
            let principal = try context.requirePrincipal()
            return JSON(ListResponse(try await service.groups(as: principal, parentId: try context.id, page: query.page)))
        }
        return routes
    }
}
