import Hummingbird
import OneCore

/// `/api/keys`: API keys of a group. The secret appears once, in the answer to POST.
struct APIKeyController {
    let service: OneService

    /// The answer to POST: the key's record with its secret and, as the platform's clients expect it, `apiKeyId`.
    struct Created: JSONRepresentable {
        let record: APIKey
        let key: String

        var json: JSONValue {
            var object = record.json.objectValue ?? [:]
            object["key"] = .string(key)
            object["apiKeyId"] = .string(record.id)
            return .object(object)
        }
    }

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post { request, context in
            var request = request
            let input = try await request.decodeBody(NewAPIKey.self, context: context)
            let issued = try await service.createAPIKey(input, in: try await context.scope(service, request))
            return JSON(Created(record: issued.key, key: issued.secret), status: .created)
        }
        routes.get { request, context in
            let query = try ListQuery(request, keyedBy: .apiKey)
            return JSON(ListResponse(try await service.apiKeys(in: try await context.scope(service, request), page: query.page)))
        }
        routes.delete(":id") { request, context in
            JSON(try await service.revokeAPIKey(id: try context.id, in: try await context.scope(service, request)))
        }
        return routes
    }
}
