/// Upserts of records kept in another system, keyed by that system's IDs (convex-sync.md).
///
/// Each record names its `source` (the other system) and its `externalId` there; the group
/// remembers which record each became, so sending the same batch again changes nothing.
extension OneService {
    public static let maxSyncRecords = 500

    /// Creates, updates or leaves alone each record, answering for each in order.
    ///
    /// Every write goes through the dimension's own operation (checks, validation, events).
    /// The records that need writing commit together; should one of them fail as it is
    /// written, each is written again on its own, so one bad record never holds back the rest.
    public func sync(_ dimension: SyncDimension, records: [JSONValue], in scope: Scope) async throws -> [SyncResult] {
        guard scope.principal.permissions.allowsSync else {
            throw OneError.forbidden("this API key's permissions do not include sync")
        }
        guard (1...Self.maxSyncRecords).contains(records.count) else {
            throw OneError.validation("records", "records must hold 1 to \(Self.maxSyncRecords) records, not \(records.count)")
        }
        let keys = records.enumerated().map { index, record in
            Result { () throws(OneError) in try SyncKey(record, field: "records[\(index)]") }
        }
        let batch = try await readAhead(
            dimension, keys: keys.compactMap { try? $0.get() }, records: records, in: scope)
        var results: [SyncResult] = []
        var pending: [(index: Int, plan: SyncPlan)] = []
        var seen: Set<SyncKey> = []
        for (index, record) in records.enumerated() {
            let field = "records[\(index)]"
            let key: SyncKey
            switch keys[index] {
            case .success(let parsed): key = parsed
            case .failure(let error):
                results.append(SyncResult(record: record, error: error))
                continue
            }
            results.append(SyncResult(key: key, id: batch.links[key], outcome: .unchanged))
            do {
                guard seen.insert(key).inserted else {
                    throw OneError.validation("\(field).externalId", "\(field) repeats an externalId of this source in the batch")
                }
                let fields = SyncFields(record: record, field: field)
                if let plan = try await self.plan(dimension, key: key, fields: fields, batch: batch, in: scope) {
                    pending.append((index, plan))
                }
            } catch let error as OneError {
                results[index].fail(error)
            }
        }
        guard !pending.isEmpty else { return results }
        do {
            let written = try await atomically { [pending] in
                // New things are made together: one quota admission, one insert.
                let creations = pending.compactMap { item in item.plan.newThing.map { (item.index, $0) } }
                var ids: [Int: String] = [:]
                if !creations.isEmpty {
                    let things = try await self.createThings(creations.map(\.1.input), in: scope).map(\.thing)
                    try await self.write { transaction in
                        for (creation, thing) in zip(creations, things) {
                            try await transaction.saveSyncLink(
                                SyncLink(groupId: scope.groupId, dimension: dimension.rawValue, key: creation.1.key, recordId: thing.id),
                                replacing: creation.1.replacing)
                        }
                    }
                    for (creation, thing) in zip(creations, things) { ids[creation.0] = thing.id }
                }
                for item in pending where item.plan.newThing == nil { ids[item.index] = try await item.plan.write() }
                return ids
            }
            for item in pending { if let id = written[item.index] { results[item.index].applied(item.plan, id: id) } }
        } catch {
            for item in pending {
                do {
                    let id = try await atomically { try await item.plan.write() }
                    results[item.index].applied(item.plan, id: id)
                } catch let error as OneError {
                    results[item.index].fail(error)
                }
            }
        }
        return results
    }

    /// What one record needs: nothing (`nil`, it is unchanged), a create or an update.
    private func plan(
        _ dimension: SyncDimension, key: SyncKey, fields: SyncFields, batch: SyncBatch, in scope: Scope
    ) async throws -> SyncPlan? {
        switch dimension {
        case .things: try planThing(key: key, fields: fields, batch: batch, in: scope)
        case .people: try planPerson(key: key, fields: fields, batch: batch, in: scope)
        case .connections: try await planConnection(key: key, fields: fields, batch: batch, in: scope)
        case .knowledge: try await planKnowledge(key: key, fields: fields, batch: batch, in: scope)
        }
    }

    /// Records the link from `key` to `recordId`, in the write that made the record, or moves it
    /// to the record that `replacing` one took the place of.
    func link(
        _ key: SyncKey, _ dimension: SyncDimension, to recordId: String, replacing: Bool = false, in scope: Scope
    ) async throws {
        try await write { transaction in
            try await transaction.saveSyncLink(
                SyncLink(groupId: scope.groupId, dimension: dimension.rawValue, key: key, recordId: recordId),
                replacing: replacing)
        }
    }
}
