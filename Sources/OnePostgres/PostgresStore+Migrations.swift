import PostgresNIO

extension PostgresStore {
    /// The schema, as named migrations applied in order and never edited once shipped.
    static let migrations: [(name: String, sql: [String])] = [
        (
            "v1: ontology",
            [
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                """
                CREATE TABLE groups (
                    id text PRIMARY KEY, slug text NOT NULL, name text NOT NULL, type text NOT NULL,
                    parent_group_id text REFERENCES groups(id), description text, metadata jsonb NOT NULL,
                    settings jsonb NOT NULL, status text NOT NULL, created_at bigint NOT NULL, updated_at bigint NOT NULL)
                """,
                "CREATE INDEX groups_by_parent ON groups (parent_group_id, id)",
                // Slugs are unique among siblings, so one tenant's names tell nothing of another's.
                "CREATE UNIQUE INDEX groups_sibling_slug ON groups (COALESCE(parent_group_id, ''), slug)",
                """
                CREATE TABLE persons (id text PRIMARY KEY, email text NOT NULL UNIQUE, created_at bigint NOT NULL)
                """,
                // The profile each group sees lives on the membership, so no tenant reads or edits another's.
                """
                CREATE TABLE memberships (
                    id text PRIMARY KEY, person_id text NOT NULL REFERENCES persons(id),
                    group_id text NOT NULL REFERENCES groups(id), name text NOT NULL, username text, bio text, avatar text,
                    role text NOT NULL, permissions text[] NOT NULL,
                    created_at bigint NOT NULL, updated_at bigint NOT NULL, UNIQUE (group_id, person_id))
                """,
                "CREATE INDEX memberships_by_person ON memberships (person_id)",
                """
                CREATE TABLE things (
                    id text PRIMARY KEY, group_id text NOT NULL REFERENCES groups(id), type text NOT NULL,
                    name text NOT NULL, properties jsonb NOT NULL, status text NOT NULL, created_by text,
                    created_at bigint NOT NULL, updated_at bigint NOT NULL, deleted_at bigint)
                """,
                "CREATE INDEX things_by_group ON things (group_id, id)",
                "CREATE INDEX things_by_group_type ON things (group_id, type, id)",
                "CREATE INDEX things_by_group_status ON things (group_id, status, id)",
                "CREATE INDEX things_name_trigram ON things USING gin (name gin_trgm_ops)",
                """
                CREATE TABLE connections (
                    id text PRIMARY KEY, group_id text NOT NULL REFERENCES groups(id),
                    from_id text NOT NULL REFERENCES things(id), to_id text NOT NULL REFERENCES things(id),
                    type text NOT NULL, metadata jsonb NOT NULL, strength double precision, valid_from bigint,
                    valid_to bigint, created_by text, created_at bigint NOT NULL, updated_at bigint NOT NULL,
                    deleted_at bigint)
                """,
                """
                CREATE UNIQUE INDEX connections_unique_live ON connections (group_id, from_id, to_id, type)
                    WHERE deleted_at IS NULL
                """,
                "CREATE INDEX connections_by_group ON connections (group_id, id)",
                "CREATE INDEX connections_by_from ON connections (group_id, from_id, id)",
                "CREATE INDEX connections_by_to ON connections (group_id, to_id, id)",
                "CREATE TABLE event_counter (id int PRIMARY KEY CHECK (id = 1), value bigint NOT NULL)",
                "INSERT INTO event_counter (id, value) VALUES (1, 0)",
                """
                CREATE TABLE events (
                    sequence bigint PRIMARY KEY, id text NOT NULL UNIQUE, group_id text NOT NULL, type text NOT NULL,
                    actor_id text, target_id text, timestamp bigint NOT NULL, metadata jsonb NOT NULL, change jsonb)
                """,
                "CREATE INDEX events_by_group ON events (group_id, sequence)",
                "CREATE INDEX events_by_group_type ON events (group_id, type, sequence)",
                "CREATE INDEX events_by_group_actor ON events (group_id, actor_id, sequence)",
                "CREATE INDEX events_by_group_target ON events (group_id, target_id, sequence)",
                """
                CREATE TABLE knowledge (
                    id text PRIMARY KEY, group_id text NOT NULL REFERENCES groups(id), type text NOT NULL, text text,
                    labels text[] NOT NULL, metadata jsonb NOT NULL, source_thing_id text REFERENCES things(id),
                    source_field text, created_by text, created_at bigint NOT NULL, updated_at bigint NOT NULL,
                    deleted_at bigint)
                """,
                "CREATE INDEX knowledge_by_group ON knowledge (group_id, id)",
                "CREATE INDEX knowledge_by_group_type ON knowledge (group_id, type, id)",
                "CREATE INDEX knowledge_labels ON knowledge USING gin (labels)",
                """
                CREATE TABLE api_keys (
                    id text PRIMARY KEY, group_id text NOT NULL REFERENCES groups(id), hash text NOT NULL UNIQUE,
                    name text NOT NULL, role text NOT NULL, permissions text[] NOT NULL, person_id text REFERENCES persons(id),
                    rate_limit_requests bigint NOT NULL, rate_limit_burst bigint NOT NULL, prefix text NOT NULL,
                    expires_at bigint, created_at bigint NOT NULL, last_used_at bigint, status text NOT NULL)
                """,
                "CREATE INDEX api_keys_by_group ON api_keys (group_id, id)",
            ]
        ),
        (
            "v2: tenant tree",
            [
                // Each group knows a person by an ID of its own (person_id); the identity behind it
                // (identity_id) is never shown. Existing members keep the ID they had.
                "ALTER TABLE memberships RENAME COLUMN person_id TO identity_id",
                "ALTER TABLE memberships ADD COLUMN person_id text",
                "UPDATE memberships SET person_id = identity_id",
                "ALTER TABLE memberships ALTER COLUMN person_id SET NOT NULL",
                "CREATE UNIQUE INDEX memberships_by_group_person ON memberships (group_id, person_id)",
                // Keys name the person by that group-local ID, so it no longer references persons.
                "ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_person_id_fkey",
                "CREATE INDEX api_keys_by_person ON api_keys (group_id, person_id)",
                // Usage counters: each group's own records, and its subtree's (itself included;
                // for groups, its descendants).
                """
                CREATE TABLE group_usage (
                    group_id text PRIMARY KEY REFERENCES groups(id),
                    own_groups bigint NOT NULL DEFAULT 0, own_things bigint NOT NULL DEFAULT 0,
                    own_connections bigint NOT NULL DEFAULT 0, own_knowledge bigint NOT NULL DEFAULT 0,
                    own_people bigint NOT NULL DEFAULT 0, subtree_groups bigint NOT NULL DEFAULT 0,
                    subtree_things bigint NOT NULL DEFAULT 0, subtree_connections bigint NOT NULL DEFAULT 0,
                    subtree_knowledge bigint NOT NULL DEFAULT 0, subtree_people bigint NOT NULL DEFAULT 0)
                """,
                """
                INSERT INTO group_usage (group_id, own_groups, own_things, own_connections, own_knowledge, own_people)
                SELECT g.id,
                    (SELECT count(*) FROM groups c WHERE c.parent_group_id = g.id),
                    (SELECT count(*) FROM things t WHERE t.group_id = g.id AND t.deleted_at IS NULL),
                    (SELECT count(*) FROM connections c WHERE c.group_id = g.id AND c.deleted_at IS NULL),
                    (SELECT count(*) FROM knowledge k WHERE k.group_id = g.id AND k.deleted_at IS NULL),
                    (SELECT count(*) FROM memberships m WHERE m.group_id = g.id)
                FROM groups g
                """,
                """
                WITH RECURSIVE tree(root_id, id) AS (
                    SELECT id, id FROM groups
                    UNION ALL
                    SELECT tree.root_id, g.id FROM groups g JOIN tree ON g.parent_group_id = tree.id
                ), sums AS (
                    SELECT tree.root_id AS group_id, count(*) - 1 AS groups, sum(u.own_things) AS things,
                        sum(u.own_connections) AS connections, sum(u.own_knowledge) AS knowledge, sum(u.own_people) AS people
                    FROM tree JOIN group_usage u ON u.group_id = tree.id GROUP BY tree.root_id
                )
                UPDATE group_usage SET subtree_groups = sums.groups, subtree_things = sums.things,
                    subtree_connections = sums.connections, subtree_knowledge = sums.knowledge, subtree_people = sums.people
                FROM sums WHERE sums.group_id = group_usage.group_id
                """,
            ]
        ),
        (
            "v3: identity",
            [
                // Accounts: a password (bcrypt), a verified email, a second factor.
                """
                ALTER TABLE persons ADD COLUMN name text, ADD COLUMN password_hash text,
                    ADD COLUMN email_verified_at bigint, ADD COLUMN two_factor jsonb,
                    ADD COLUMN updated_at bigint NOT NULL DEFAULT 0
                """,
                "UPDATE persons SET updated_at = created_at",
                // An invited person has no access until they accept.
                "ALTER TABLE memberships ADD COLUMN status text NOT NULL DEFAULT 'active'",
                // Serves a session's memberships; covers the index on identity_id alone, which goes.
                "CREATE INDEX memberships_by_identity ON memberships (identity_id, created_at)",
                "DROP INDEX memberships_by_person",
                // Tokens are stored only as SHA-256 digests.
                """
                CREATE TABLE sessions (
                    id text PRIMARY KEY, identity_id text NOT NULL REFERENCES persons(id),
                    hash text NOT NULL CONSTRAINT sessions_hash_key UNIQUE, created_at bigint NOT NULL,
                    expires_at bigint NOT NULL, refreshed_at bigint NOT NULL, user_agent text, address text)
                """,
                "CREATE INDEX sessions_by_identity ON sessions (identity_id, id)",
                """
                CREATE TABLE auth_tokens (
                    hash text PRIMARY KEY, purpose text NOT NULL, identity_id text, email text, data jsonb NOT NULL,
                    attempts bigint NOT NULL, created_at bigint NOT NULL, expires_at bigint NOT NULL)
                """,
                "CREATE INDEX auth_tokens_by_identity ON auth_tokens (identity_id, purpose)",
                """
                CREATE TABLE oauth_accounts (
                    provider text NOT NULL, subject text NOT NULL, identity_id text NOT NULL REFERENCES persons(id),
                    created_at bigint NOT NULL, CONSTRAINT oauth_accounts_pkey PRIMARY KEY (provider, subject))
                """,
                // The dev outbox: mail kept here when no mail service is configured.
                """
                CREATE TABLE outbox (
                    id text PRIMARY KEY, recipient text NOT NULL, subject text NOT NULL, text text NOT NULL,
                    links text[] NOT NULL, created_at bigint NOT NULL)
                """,
            ]
        ),
        (
            "v4: graph, tags, sync",
            [
                // Either end of a connection may be a thing or a person (usr_…): the domain checks the ends.
                "ALTER TABLE connections DROP CONSTRAINT connections_from_id_fkey, DROP CONSTRAINT connections_to_id_fkey",
                // Tags: key/value pairs in the thing's JSON, served by a GIN index (`?` and `@>`).
                "ALTER TABLE things ADD COLUMN tags jsonb NOT NULL DEFAULT '{}'",
                "CREATE INDEX things_tags ON things USING gin (tags)",
                // Sync: which record each outside system's ID became, per group and dimension.
                """
                CREATE TABLE sync_links (
                    group_id text NOT NULL REFERENCES groups(id), dimension text NOT NULL, source text NOT NULL,
                    external_id text NOT NULL, record_id text NOT NULL,
                    PRIMARY KEY (group_id, dimension, source, external_id))
                """,
                // A group's sync secret, stored as its SHA-256 digest.
                """
                CREATE TABLE sync_secrets (
                    group_id text PRIMARY KEY REFERENCES groups(id), hash text NOT NULL UNIQUE, created_at bigint NOT NULL)
                """,
            ]
        ),
        (
            "v5: knowledge search",
            [
                // A chunk's vector (little-endian floats) and the model that made it; chunk text as
                // an English tsvector for full-text ranking.
                """
                ALTER TABLE knowledge ADD COLUMN embedding bytea, ADD COLUMN embedding_model text,
                    ADD COLUMN search tsvector GENERATED ALWAYS AS
                        (CASE WHEN type = 'chunk' THEN to_tsvector('english', coalesce(text, '')) END) STORED
                """,
                "CREATE INDEX knowledge_search ON knowledge USING gin (search) WHERE deleted_at IS NULL",
                """
                CREATE INDEX knowledge_by_document ON knowledge (group_id, (metadata->>'documentId'))
                    WHERE type = 'chunk' AND deleted_at IS NULL
                """,
                // AI tokens each group has used.
                "CREATE TABLE ai_usage (group_id text PRIMARY KEY REFERENCES groups(id), tokens bigint NOT NULL)",
            ]
        ),
        (
            "v6: text search in memory",
            [
                // Full-text ranking moved to each group's in-memory index (TextPostings), whose
                // statistics are the group's own: ts_rank's index spanned every tenant.
                "DROP INDEX knowledge_search",
                "ALTER TABLE knowledge DROP COLUMN search",
            ]
        ),
    ]

    /// Applies the migrations not yet applied, in one transaction under an advisory lock: a node
    /// that starts while another migrates waits, then finds the work done.
    public func migrate() async throws {
        try await migrate(through: nil)
    }

    /// Applies the migrations not yet applied, up to and including `last` (all when `nil`).
    func migrate(through last: String?) async throws {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                logger: logger)
            let applied = Set(try await fetchAll("SELECT name FROM schema_migrations", on: connection) { try $0.decode(String.self) })
            let wanted = last.flatMap { last in Self.migrations.firstIndex { $0.name == last } }.map { Self.migrations[...$0] }
                ?? Self.migrations[...]
            for migration in wanted where !applied.contains(migration.name) {
                for statement in migration.sql {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO schema_migrations (name) VALUES (\(migration.name))", logger: logger)
            }
        }
    }
}
