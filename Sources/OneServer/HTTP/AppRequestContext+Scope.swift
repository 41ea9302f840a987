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
        get throws { try parameter("id") }
    }

    /// A path parameter the route names.
    func parameter(_ name: String) throws -> String {
        guard let value = parameters.get(name) else { throw OneError.validation(name, "\(name) is required in the path") }
        return value
    }
}
