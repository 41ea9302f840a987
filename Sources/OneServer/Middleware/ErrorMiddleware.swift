import HTTPTypes
import Hummingbird
import Logging
import OneCore

/// Turns every error into the API's one error shape, `{"error": …, "code": …}`, in one place.
/// Unexpected errors become a 500 that says nothing of internals; the log keeps the detail.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as OneError {
            return error.response
        } catch let error as any HTTPResponseError {
            let status = error.status
            let code: OneError.Code = switch status {
            case .notFound: .notFound
            case .contentTooLarge: .payloadTooLarge
            case .methodNotAllowed: .validation
            case .unauthorized: .unauthenticated
            default: status.code < 500 ? .validation : .internal
            }
            let message = status == .contentTooLarge
                ? "request body is larger than the \(AppConfiguration.defaultMaxBodySize) byte limit"
                : status == .notFound ? "no such route: \(request.method) \(request.uri.path)" : status.reasonPhrase
            return ErrorBody(OneError(code, message)).response(status: status)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            return ErrorBody(OneError(.internal, "internal server error")).response(status: .internalServerError)
        }
    }
}

/// The JSON body of an error response: `{"error": …, "code": …, "field": …}`.
struct ErrorBody {
    let error: OneError

    init(_ error: OneError) { self.error = error }

    /// `{error, code, field?}`.
    var json: JSONValue {
        var body: [String: JSONValue] = ["error": .string(error.message), "code": .string(error.code.rawValue)]
        body["field"] = error.field.map(JSONValue.string)
        return .object(body)
    }

    func response(status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json.jsonText())))
    }
}

extension OneError {
    /// The error as the client gets it: its status, its body, and `Retry-After` when it has one.
    var response: Response {
        ErrorBody(self).response(status: httpStatus, headers: retryAfter.map { [.retryAfter: String($0)] } ?? [:])
    }

    /// The one mapping of domain error codes to HTTP statuses.
    var httpStatus: HTTPResponse.Status {
        switch code {
        case .validation, .invalidJSON, .invalidID, .invalidCursor, .invalidToken: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden, .quotaExceeded, .emailNotVerified: .forbidden
        case .notFound: .notFound
        case .conflict, .groupArchived, .alreadyInitialized: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .rateLimited: .tooManyRequests
        case .upgradeRequired: .init(code: 426, reasonPhrase: "Upgrade Required")
        case .unavailable: .serviceUnavailable
        case .providerError: .badGateway
        default: .internalServerError
        }
    }

}
