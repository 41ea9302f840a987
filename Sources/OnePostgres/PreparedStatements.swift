import OneCore
import PostgresNIO

/// The statements on every request's path, prepared once per connection so PostgreSQL parses
/// and plans them once rather than per call. Everything else goes as unnamed statements.
enum Prepared {
    /// The API key behind a secret's digest: runs on every authenticated request.
    struct APIKeyByHash: PostgresPreparedStatement {
        static let sql = PostgresStore.apiKeySelect + " WHERE hash = $1"
        let hash: String
        func makeBindings() throws -> PostgresBindings { binds(hash) }
        func decodeRow(_ row: PostgresRow) throws -> APIKey { try APIKey(row: row) }
    }

    struct ThingByID: PostgresPreparedStatement {
        static let sql = PostgresStore.thingSelect + " WHERE id = $1 AND group_id = $2"
        let id: String
        let groupId: String
        func makeBindings() throws -> PostgresBindings { binds(id, groupId) }
        func decodeRow(_ row: PostgresRow) throws -> Thing { try Thing(row: row) }
    }

    /// A group by ID: every write reads its group to admit it.
    struct GroupByID: PostgresPreparedStatement {
        static let sql = PostgresStore.groupSelect + " WHERE id = $1"
        let id: String
        func makeBindings() throws -> PostgresBindings { binds(id) }
        func decodeRow(_ row: PostgresRow) throws -> Group { try Group(row: row) }
    }

    struct InsertThing: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO things (id, group_id, type, name, properties, status, created_by, created_at, updated_at, deleted_at)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10)
            """
        let thing: Thing
        func makeBindings() throws -> PostgresBindings {
            var bindings = binds(thing.id, thing.groupId, thing.type, thing.name, thing.properties.jsonText(), thing.status)
            bindings.append(thing.createdBy)
            bindings.append(thing.createdAt)
            bindings.append(thing.updatedAt)
            bindings.append(thing.deletedAt)
            return bindings
        }
        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// A batch's events, numbered from the counter in one statement. Arrays carry the rows so
    /// the statement text is the same for any batch size; empty strings stand for NULL.
    struct AppendEvents: PostgresPreparedStatement {
        static let sql = """
            WITH next AS (
                UPDATE event_counter SET value = value + cardinality($1::text[]) WHERE id = 1
                RETURNING value - cardinality($1::text[]) AS base
            )
            INSERT INTO events (sequence, id, group_id, type, actor_id, target_id, timestamp, metadata, change)
            SELECT next.base + v.ordinal, v.id, v.group_id, v.type, NULLIF(v.actor_id, ''), NULLIF(v.target_id, ''),
                   v.timestamp, v.metadata::jsonb, NULLIF(v.change, '')::jsonb
            FROM next, unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[])
                WITH ORDINALITY AS v(id, group_id, type, actor_id, target_id, timestamp, metadata, change, ordinal)
            RETURNING (SELECT base FROM next)
            """
        let events: [Event]
        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(events.map(\.id))
            bindings.append(events.map(\.groupId))
            bindings.append(events.map(\.type))
            bindings.append(events.map { $0.actorId ?? "" })
            bindings.append(events.map { $0.targetId ?? "" })
            bindings.append(events.map(\.timestamp))
            bindings.append(events.map { $0.metadata.jsonText() })
            bindings.append(events.map { $0.change?.json.jsonText() ?? "" })
            return bindings
        }
        func decodeRow(_ row: PostgresRow) throws -> Int64 { try row.decode(Int64.self) }
    }
}
