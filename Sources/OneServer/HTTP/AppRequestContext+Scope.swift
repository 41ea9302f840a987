import HTTPTypes
import Hummingbird
import OneCore

extension AppRequestContext {
    /// The scope of a tenant route: the key's group, or the reachable group named by `X-Group-Id`.
    func scope(_ service: OneService, _ request: Request) async throws -> Scope {
        try await service.scope(for: try requirePrincipal(), groupId: request.headers[.groupId])
    }

    /// The `:id` path parameter.
    var id: String {
        get throws {
            guard let id = parameters.get("id") else { throw OneError.validation("id", "id is required in the path") }
            return id
        }
    }
}
