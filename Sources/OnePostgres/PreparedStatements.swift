import OneCore
import PostgresNIO

/// The statements on every request's path, prepared once per connection so PostgreSQL parses
/// and plans them once rather than per call. Everything else goes as unnamed statements.
enum Prepared {
    /// The API key behind a secret's digest, with its person's role now: runs on every
    /// authenticated request.
    struct CredentialByHash: PostgresPreparedStatement {
        static let sql = """
            SELECT k.id, k.group_id, k.name, k.role, k.permissions, k.person_id, k.rate_limit_requests,
                   k.rate_limit_burst, k.prefix, k.expires_at, k.created_at, k.last_used_at, k.status, m.role AS person_role
            FROM api_keys k
                LEFT JOIN memberships m ON m.group_id = k.group_id AND m.person_id = k.person_id
            WHERE k.hash = $1
            """
        let hash: String
        func makeBindings() throws -> PostgresBindings { binds(hash) }
        func decodeRow(_ row: PostgresRow) throws -> Credential {
            let personRole: String? = try Columns(row)("person_role")
            return Credential(key: try APIKey(row: row), personRole: try personRole.map { role in
                guard let role = Role(rawValue: role) else { throw OneError(.internal, "unknown role in storage") }
                return role
            })
        }
    }

    /// The session behind a token's digest, whether its identity's email is verified, and one
    /// row per active membership of that identity (oldest first; none gives one row of NULLs):
    /// runs on every session-authenticated request, in one round trip.
    struct SessionCredentialByHash: PostgresPreparedStatement {
        static let sql = """
            SELECT s.id, s.identity_id, s.created_at, s.expires_at, s.refreshed_at, s.user_agent, s.address,
                   p.email_verified_at IS NOT NULL AS email_verified, m.group_id, m.person_id, m.role, m.permissions,
                   m.created_at AS membership_created_at
            FROM sessions s JOIN persons p ON p.id = s.identity_id
                LEFT JOIN memberships m ON m.identity_id = s.identity_id AND m.status = 'active'
            WHERE s.hash = $1
            ORDER BY m.created_at, m.group_id
            """
        let hash: String
        func makeBindings() throws -> PostgresBindings { binds(hash) }
        func decodeRow(_ row: PostgresRow) throws -> (session: Session, emailVerified: Bool, grant: MembershipGrant?) {
            let columns = Columns(row)
            let groupId: String? = try columns("group_id")
            let grant = try groupId.map { groupId in
                MembershipGrant(
                    groupId: groupId, personId: try columns("person_id"), role: try columns.role("role"),
                    permissions: try columns("permissions"), createdAt: try columns("membership_created_at"))
            }
            return (try Session(columns), try columns("email_verified"), grant)
        }
    }

    /// The records a knowledge search returns.
    struct KnowledgeByIDs: PostgresPreparedStatement {
        static let sql = PostgresStore.knowledgeSelect + " WHERE group_id = $1 AND deleted_at IS NULL AND id = ANY($2)"
        let groupId: String
        let ids: [String]
        func makeBindings() throws -> PostgresBindings { binds(groupId, ids) }
        func decodeRow(_ row: PostgresRow) throws -> Knowledge { try Knowledge(row: row) }
    }

    /// A group's knowledge changes after a sequence, read by its search index on every search.
    struct IndexedChunkChanges: PostgresPreparedStatement {
        static let sql = """
            SELECT e.sequence, e.type AS event, e.target_id AS id, k.type, k.text,
                   CASE WHEN k.embedding_model = $1 THEN k.embedding END AS embedding,
                   k.metadata->>'documentId' AS document_id, k.source_thing_id, k.labels
            FROM events e LEFT JOIN knowledge k
                ON k.id = e.target_id AND k.group_id = e.group_id AND k.type = 'chunk'
                AND e.type IN ('knowledge_created', 'knowledge_updated')
            WHERE e.group_id = $2 AND e.type IN ('knowledge_created', 'knowledge_updated', 'knowledge_deleted')
                AND e.sequence > $3
            ORDER BY e.sequence LIMIT $4
            """
        let model: String
        let groupId: String
        let after: Int64
        let limit: Int
        func makeBindings() throws -> PostgresBindings { binds(model, groupId, after, limit) }
        func decodeRow(_ row: PostgresRow) throws -> (sequence: Int64, change: OneCore.IndexedChunkChanges.Change?) {
            try PostgresStore.indexedChunkChange(row)
        }
    }

    struct ThingByID: PostgresPreparedStatement {
        static let sql = PostgresStore.thingSelect + " WHERE id = $1 AND group_id = $2"
        let id: String
        let groupId: String
        func makeBindings() throws -> PostgresBindings { binds(id, groupId) }
        func decodeRow(_ row: PostgresRow) throws -> Thing { try Thing(row: row) }
    }

    /// A group and its ancestors, the group first, with the subtree usage of those with limits:
    /// every write reads it to admit itself.
    struct GroupChain: PostgresPreparedStatement {
        static let sql = """
            WITH RECURSIVE chain(id, depth) AS (
                SELECT $1::text, 0
                UNION ALL
                SELECT g.parent_group_id, chain.depth + 1 FROM groups g JOIN chain ON g.id = chain.id
                WHERE g.parent_group_id IS NOT NULL AND chain.depth < 1000
            )
            SELECT g.id, g.status, g.settings->'limits' AS limits, u.subtree_groups, u.subtree_things,
                   u.subtree_connections, u.subtree_knowledge, u.subtree_people
            FROM chain JOIN groups g ON g.id = chain.id
                LEFT JOIN group_usage u ON u.group_id = g.id AND g.settings ? 'limits'
            ORDER BY chain.depth
            """
        let id: String
        func makeBindings() throws -> PostgresBindings { binds(id) }
        /// The node, and its subtree usage as committed when it has limits (the only usage a
        /// write checks).
        func decodeRow(_ row: PostgresRow) throws -> (GroupNode, UsageCounts?) {
            let cells = row.makeRandomAccess()
            let limits = try cells[2].decode(String?.self, context: .default)
            var usage: UsageCounts?
            if limits != nil {
                var counts = UsageCounts.zero
                for (index, resource) in UsageCounts.counted.enumerated() {
                    counts[resource] = Int(try cells[3 + index].decode(Int64.self, context: .default))
                }
                usage = counts
            }
            let node = GroupNode(
                id: try cells[0].decode(String.self, context: .default),
                status: Group.Status(rawValue: try cells[1].decode(String.self, context: .default)) ?? .active,
                limits: try limits.map { try GroupSettings(json: ["limits": JSONValue(storedText: $0)]).limits ?? [:] } ?? [:])
            return (node, usage)
        }
    }

    /// A batch's usage changes, added in one statement, locking the rows in ID order so that
    /// batches meeting on the same rows cannot deadlock.
    struct AddUsage: PostgresPreparedStatement {
        static let sql = """
            WITH v AS MATERIALIZED (
                SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],
                    $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[])
                    AS v(group_id, og, ot, oc, ok, op, sg, st, sc, sk, sp)
            ), locked AS MATERIALIZED (
                SELECT u.group_id FROM group_usage u WHERE u.group_id IN (SELECT group_id FROM v)
                ORDER BY u.group_id FOR UPDATE
            )
            UPDATE group_usage AS u SET own_groups = u.own_groups + v.og, own_things = u.own_things + v.ot,
                own_connections = u.own_connections + v.oc, own_knowledge = u.own_knowledge + v.ok,
                own_people = u.own_people + v.op, subtree_groups = u.subtree_groups + v.sg,
                subtree_things = u.subtree_things + v.st, subtree_connections = u.subtree_connections + v.sc,
                subtree_knowledge = u.subtree_knowledge + v.sk, subtree_people = u.subtree_people + v.sp
            FROM v, locked WHERE u.group_id = v.group_id AND locked.group_id = v.group_id
            RETURNING u.group_id, u.subtree_groups, u.subtree_things, u.subtree_connections, u.subtree_knowledge,
                u.subtree_people
            """
        let changes: [String: GroupUsage]
        func makeBindings() throws -> PostgresBindings {
            let ordered = changes.sorted { $0.key < $1.key }
            var bindings = PostgresBindings()
            bindings.append(ordered.map(\.key))
            for counts in [\GroupUsage.own, \GroupUsage.subtree] {
                for resource in UsageCounts.counted {
                    bindings.append(ordered.map { Int64($0.value[keyPath: counts][resource]) })
                }
            }
            return bindings
        }
        /// A group's subtree counters after the addition.
        func decodeRow(_ row: PostgresRow) throws -> (String, UsageCounts) {
            let cells = row.makeRandomAccess()
            var counts = UsageCounts.zero
            for (index, resource) in UsageCounts.counted.enumerated() {
                counts[resource] = Int(try cells[1 + index].decode(Int64.self, context: .default))
            }
            return (try cells[0].decode(String.self, context: .default), counts)
        }
    }

    /// A group by ID.
    struct GroupByID: PostgresPreparedStatement {
        static let sql = PostgresStore.groupSelect + " WHERE id = $1"
        let id: String
        func makeBindings() throws -> PostgresBindings { binds(id) }
        func decodeRow(_ row: PostgresRow) throws -> Group { try Group(row: row) }
    }

    struct InsertThing: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO things (id, group_id, type, name, properties, status, tags, created_by, created_at, updated_at, deleted_at)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7::jsonb, $8, $9, $10, $11)
            """
        let thing: Thing
        func makeBindings() throws -> PostgresBindings {
            var bindings = binds(thing.id, thing.groupId, thing.type, thing.name, thing.properties.jsonText(), thing.status)
            bindings.append(JSONValue(thing.tags).jsonText())
            bindings.append(thing.createdBy)
            bindings.append(thing.createdAt)
            bindings.append(thing.updatedAt)
            bindings.append(thing.deletedAt)
            return bindings
        }
        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// Several things in one statement: arrays carry the rows, so the text is the same for any count.
    struct InsertThings: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO things (id, group_id, type, name, properties, status, tags, created_by, created_at, updated_at, deleted_at)
            SELECT v.id, v.group_id, v.type, v.name, v.properties::jsonb, v.status, v.tags::jsonb, NULLIF(v.created_by, ''),
                   v.created_at, v.updated_at, NULL
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                        $9::bigint[], $10::bigint[]) AS v(id, group_id, type, name, properties, status, tags, created_by,
                        created_at, updated_at)
            """
        let things: [Thing]
        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(things.map(\.id))
            bindings.append(things.map(\.groupId))
            bindings.append(things.map(\.type))
            bindings.append(things.map(\.name))
            bindings.append(things.map { $0.properties.jsonText() })
            bindings.append(things.map(\.status))
            bindings.append(things.map { JSONValue($0.tags).jsonText() })
            bindings.append(things.map { $0.createdBy ?? "" })
            bindings.append(things.map(\.createdAt))
            bindings.append(things.map(\.updatedAt))
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
        /// The drafts the events were made from, their JSON already encoded.
        let drafts: [EventDraft]
        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(events.map(\.id))
            bindings.append(events.map(\.groupId))
            bindings.append(events.map(\.type))
            bindings.append(events.map { $0.actorId ?? "" })
            bindings.append(events.map { $0.targetId ?? "" })
            bindings.append(events.map(\.timestamp))
            bindings.append(drafts.map(\.metadataText))
            bindings.append(drafts.map { $0.changeText ?? "" })
            return bindings
        }
        func decodeRow(_ row: PostgresRow) throws -> Int64 { try row.decode(Int64.self) }
    }
}
