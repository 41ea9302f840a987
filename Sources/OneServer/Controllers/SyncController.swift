import Hummingbird
import OneCore

/// `/api/sync/:dimension`: idempotent upserts of records kept in another system, by an API key
/// with the `sync` permission or by the group's sync secret (`X-Sync-Secret`).
struct SyncController {
    let service: OneService

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post(":dimension") { request, context in
            let name = try context.parameter("dimension")
            guard let dimension = SyncDimension(rawValue: name) else {
                let allowed = SyncDimension.allCases.map(\.rawValue).joined(separator: ", ")
                throw OneError.validation("dimension", "dimension must be one of \(allowed), not '\(name)'")
            }
            var request = request
            let (body, _) = try await request.decodeObject(fields: ["records"], context: context)
            guard let records = body.objectValue?["records"]?.arrayValue else {
                throw OneError.validation("records", "records is required: an array of 1 to \(OneService.maxSyncRecords) records")
            }
            let scope = try await context.scope(service, request)
            let results = try await service.sync(dimension, records: records, in: scope)
            var counts: [SyncResult.Outcome: Int] = [:]
            for result in results { counts[result.outcome, default: 0] += 1 }
            return JSON([
                "results": .array(results.map(\.json)),
                "created": .integer(Int64(counts[.created] ?? 0)), "updated": .integer(Int64(counts[.updated] ?? 0)),
                "unchanged": .integer(Int64(counts[.unchanged] ?? 0)), "errors": .integer(Int64(counts[.error] ?? 0)),
            ] as JSONValue)
        }
        return routes
    }
}
