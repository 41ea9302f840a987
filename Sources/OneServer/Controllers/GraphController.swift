import Hummingbird
import OneCore

/// `/api/graph/:id`: the records reachable from a thing or a person, breadth-first.
struct GraphController {
    let service: OneService

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get(":id") { request, context in
            let parameters = request.uri.queryParameters
            var query = GraphQuery()
            // `types=a,b` or `types=a&types=b`.
            query.types = parameters[values: "types"].flatMap { $0.split(separator: ",") }
                .map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty }
            if let direction = parameters["direction"] {
                guard let value = GraphQuery.Direction(rawValue: String(direction)) else {
                    throw OneError.validation("direction", "direction must be out, in or both")
                }
                query.direction = value
            }
            query.depth = try Self.integer(parameters["depth"], field: "depth") ?? query.depth
            query.limit = try Self.integer(parameters["limit"], field: "limit") ?? query.limit
            let scope = try await context.scope(service, request)
            return JSON(try await service.graph(from: try context.id, query, in: scope))
        }
        return routes
    }

    private static func integer(_ text: Substring?, field: String) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text) else { throw OneError.validation(field, "\(field) must be an integer") }
        return value
    }
}
