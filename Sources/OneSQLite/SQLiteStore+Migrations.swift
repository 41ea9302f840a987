import GRDB

extension SQLiteStore {
    /// The schema, as named migrations applied in order and never edited once shipped.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: ontology") { db in
            try db.execute(
                sql: """
                    CREATE TABLE groups (
                        id TEXT PRIMARY KEY NOT NULL,
                        slug TEXT NOT NULL,
                        name TEXT NOT NULL,
                        type TEXT NOT NULL,
                        parentGroupId TEXT REFERENCES groups(id),
                        description TEXT,
                        metadata TEXT NOT NULL,
                        settings TEXT NOT NULL,
                        status TEXT NOT NULL,
                        createdAt INTEGER NOT NULL,
                        updatedAt INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX groups_by_parent ON groups(parentGroupId, id);
                    -- Slugs are unique among siblings, so one tenant's names tell nothing of another's.
                    CREATE UNIQUE INDEX groups_sibling_slug ON groups(COALESCE(parentGroupId, ''), slug);

                    -- A person is one identity (an email) across groups; the profile each group
                    -- sees lives on the membership, so no tenant reads or edits another's.
                    CREATE TABLE persons (
                        id TEXT PRIMARY KEY NOT NULL,
                        email TEXT NOT NULL UNIQUE,
                        createdAt INTEGER NOT NULL
                    ) WITHOUT ROWID;

                    CREATE TABLE memberships (
                        id TEXT PRIMARY KEY NOT NULL,
                        personId TEXT NOT NULL REFERENCES persons(id),
                        groupId TEXT NOT NULL REFERENCES groups(id),
                        name TEXT NOT NULL,
                        username TEXT,
                        bio TEXT,
                        avatar TEXT,
                        role TEXT NOT NULL,
                        permissions TEXT NOT NULL,
                        createdAt INTEGER NOT NULL,
                        updatedAt INTEGER NOT NULL,
                        UNIQUE (groupId, personId)
                    ) WITHOUT ROWID;
                    CREATE INDEX memberships_by_person ON memberships(personId);

                    CREATE TABLE things (
                        id TEXT PRIMARY KEY NOT NULL,
                        groupId TEXT NOT NULL REFERENCES groups(id),
                        type TEXT NOT NULL,
                        name TEXT NOT NULL,
                        properties TEXT NOT NULL,
                        status TEXT NOT NULL,
                        createdBy TEXT,
                        createdAt INTEGER NOT NULL,
                        updatedAt INTEGER NOT NULL,
                        deletedAt INTEGER
                    ) WITHOUT ROWID;
                    CREATE INDEX things_by_group ON things(groupId, id);
                    CREATE INDEX things_by_group_type ON things(groupId, type, id);
                    CREATE INDEX things_by_group_status ON things(groupId, status, id);

                    CREATE TABLE connections (
                        id TEXT PRIMARY KEY NOT NULL,
                        groupId TEXT NOT NULL REFERENCES groups(id),
                        fromId TEXT NOT NULL REFERENCES things(id),
                        toId TEXT NOT NULL REFERENCES things(id),
                        type TEXT NOT NULL,
                        metadata TEXT NOT NULL,
                        strength REAL,
                        validFrom INTEGER,
                        validTo INTEGER,
                        createdBy TEXT,
                        createdAt INTEGER NOT NULL,
                        updatedAt INTEGER NOT NULL,
                        deletedAt INTEGER
                    ) WITHOUT ROWID;
                    CREATE UNIQUE INDEX connections_unique_live ON connections(groupId, fromId, toId, type)
                        WHERE deletedAt IS NULL;
                    CREATE INDEX connections_by_group ON connections(groupId, id);
                    CREATE INDEX connections_by_from ON connections(groupId, fromId, id);
                    CREATE INDEX connections_by_to ON connections(groupId, toId, id);

                    CREATE TABLE events (
                        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        groupId TEXT NOT NULL,
                        type TEXT NOT NULL,
                        actorId TEXT,
                        targetId TEXT,
                        timestamp INTEGER NOT NULL,
                        metadata TEXT NOT NULL,
                        change TEXT
                    );
                    CREATE INDEX events_by_group ON events(groupId, sequence);
                    CREATE INDEX events_by_group_type ON events(groupId, type, sequence);
                    CREATE INDEX events_by_group_actor ON events(groupId, actorId, sequence);
                    CREATE INDEX events_by_group_target ON events(groupId, targetId, sequence);

                    CREATE TABLE knowledge (
                        id TEXT PRIMARY KEY NOT NULL,
                        groupId TEXT NOT NULL REFERENCES groups(id),
                        type TEXT NOT NULL,
                        text TEXT,
                        labels TEXT NOT NULL,
                        metadata TEXT NOT NULL,
                        sourceThingId TEXT REFERENCES things(id),
                        sourceField TEXT,
                        createdBy TEXT,
                        createdAt INTEGER NOT NULL,
                        updatedAt INTEGER NOT NULL,
                        deletedAt INTEGER
                    ) WITHOUT ROWID;
                    CREATE INDEX knowledge_by_group ON knowledge(groupId, id);
                    CREATE INDEX knowledge_by_group_type ON knowledge(groupId, type, id);

                    CREATE TABLE api_keys (
                        id TEXT PRIMARY KEY NOT NULL,
                        groupId TEXT NOT NULL REFERENCES groups(id),
                        hash TEXT NOT NULL UNIQUE,
                        name TEXT NOT NULL,
                        role TEXT NOT NULL,
                        permissions TEXT NOT NULL,
                        personId TEXT REFERENCES persons(id),
                        rateLimitRequests INTEGER NOT NULL,
                        rateLimitBurst INTEGER NOT NULL,
                        prefix TEXT NOT NULL,
                        expiresAt INTEGER,
                        createdAt INTEGER NOT NULL,
                        lastUsedAt INTEGER,
                        status TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX api_keys_by_group ON api_keys(groupId, id);
                    """)
        }
        migrator.registerMigration("v2: tenant tree") { db in
            try db.execute(
                sql: """
                    -- Each group knows a person by an ID of its own (personId); the identity behind
                    -- it (identityId) is never shown. Existing members keep the ID they had.
                    ALTER TABLE memberships RENAME COLUMN personId TO identityId;
                    ALTER TABLE memberships ADD COLUMN personId TEXT NOT NULL DEFAULT '';
                    UPDATE memberships SET personId = identityId;
                    CREATE UNIQUE INDEX memberships_by_group_person ON memberships(groupId, personId);

                    -- Keys name the person by that group-local ID, so it no longer references persons.
                    CREATE TABLE api_keys_v2 (
                        id TEXT PRIMARY KEY NOT NULL,
                        groupId TEXT NOT NULL REFERENCES groups(id),
                        hash TEXT NOT NULL UNIQUE,
                        name TEXT NOT NULL,
                        role TEXT NOT NULL,
                        permissions TEXT NOT NULL,
                        personId TEXT,
                        rateLimitRequests INTEGER NOT NULL,
                        rateLimitBurst INTEGER NOT NULL,
                        prefix TEXT NOT NULL,
                        expiresAt INTEGER,
                        createdAt INTEGER NOT NULL,
                        lastUsedAt INTEGER,
                        status TEXT NOT NULL
                    ) WITHOUT ROWID;
                    INSERT INTO api_keys_v2 SELECT id, groupId, hash, name, role, permissions, personId, rateLimitRequests,
                        rateLimitBurst, prefix, expiresAt, createdAt, lastUsedAt, status FROM api_keys;
                    DROP TABLE api_keys;
                    ALTER TABLE api_keys_v2 RENAME TO api_keys;
                    CREATE INDEX api_keys_by_group ON api_keys(groupId, id);
                    CREATE INDEX api_keys_by_person ON api_keys(groupId, personId);

                    -- Usage counters: each group's own records, and its subtree's (itself included;
                    -- for groups, its descendants).
                    CREATE TABLE group_usage (
                        groupId TEXT PRIMARY KEY NOT NULL REFERENCES groups(id),
                        ownGroups INTEGER NOT NULL DEFAULT 0,
                        ownThings INTEGER NOT NULL DEFAULT 0,
                        ownConnections INTEGER NOT NULL DEFAULT 0,
                        ownKnowledge INTEGER NOT NULL DEFAULT 0,
                        ownPeople INTEGER NOT NULL DEFAULT 0,
                        subtreeGroups INTEGER NOT NULL DEFAULT 0,
                        subtreeThings INTEGER NOT NULL DEFAULT 0,
                        subtreeConnections INTEGER NOT NULL DEFAULT 0,
                        subtreeKnowledge INTEGER NOT NULL DEFAULT 0,
                        subtreePeople INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID;
                    INSERT INTO group_usage (groupId, ownGroups, ownThings, ownConnections, ownKnowledge, ownPeople)
                    SELECT g.id,
                        (SELECT COUNT(*) FROM groups c WHERE c.parentGroupId = g.id),
                        (SELECT COUNT(*) FROM things t WHERE t.groupId = g.id AND t.deletedAt IS NULL),
                        (SELECT COUNT(*) FROM connections c WHERE c.groupId = g.id AND c.deletedAt IS NULL),
                        (SELECT COUNT(*) FROM knowledge k WHERE k.groupId = g.id AND k.deletedAt IS NULL),
                        (SELECT COUNT(*) FROM memberships m WHERE m.groupId = g.id)
                    FROM groups g;
                    WITH RECURSIVE tree(rootId, id) AS (
                        SELECT id, id FROM groups
                        UNION ALL
                        SELECT tree.rootId, g.id FROM groups g JOIN tree ON g.parentGroupId = tree.id
                    ), sums AS (
                        SELECT tree.rootId AS groupId, COUNT(*) - 1 AS groups, SUM(u.ownThings) AS things,
                            SUM(u.ownConnections) AS connections, SUM(u.ownKnowledge) AS knowledge, SUM(u.ownPeople) AS people
                        FROM tree JOIN group_usage u ON u.groupId = tree.id GROUP BY tree.rootId
                    )
                    UPDATE group_usage SET subtreeGroups = sums.groups, subtreeThings = sums.things,
                        subtreeConnections = sums.connections, subtreeKnowledge = sums.knowledge, subtreePeople = sums.people
                    FROM sums WHERE sums.groupId = group_usage.groupId;
                    """)
        }
        migrator.registerMigration("v3: identity") { db in
            try db.execute(
                sql: """
                    -- Accounts: a password (bcrypt), a verified email, a second factor.
                    ALTER TABLE persons ADD COLUMN name TEXT;
                    ALTER TABLE persons ADD COLUMN passwordHash TEXT;
                    ALTER TABLE persons ADD COLUMN emailVerifiedAt INTEGER;
                    ALTER TABLE persons ADD COLUMN twoFactor TEXT;
                    ALTER TABLE persons ADD COLUMN updatedAt INTEGER NOT NULL DEFAULT 0;
                    UPDATE persons SET updatedAt = createdAt;

                    -- An invited person has no access until they accept.
                    ALTER TABLE memberships ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
                    CREATE INDEX memberships_by_identity ON memberships(identityId, createdAt);

                    -- Tokens are stored only as SHA-256 digests.
                    CREATE TABLE sessions (
                        id TEXT PRIMARY KEY NOT NULL,
                        identityId TEXT NOT NULL REFERENCES persons(id),
                        hash TEXT NOT NULL UNIQUE,
                        createdAt INTEGER NOT NULL,
                        expiresAt INTEGER NOT NULL,
                        refreshedAt INTEGER NOT NULL,
                        userAgent TEXT,
                        address TEXT
                    ) WITHOUT ROWID;
                    CREATE INDEX sessions_by_identity ON sessions(identityId, id);

                    CREATE TABLE auth_tokens (
                        hash TEXT PRIMARY KEY NOT NULL,
                        purpose TEXT NOT NULL,
                        identityId TEXT,
                        email TEXT,
                        data TEXT NOT NULL,
                        attempts INTEGER NOT NULL,
                        createdAt INTEGER NOT NULL,
                        expiresAt INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX auth_tokens_by_identity ON auth_tokens(identityId, purpose);

                    CREATE TABLE oauth_accounts (
                        provider TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        identityId TEXT NOT NULL REFERENCES persons(id),
                        createdAt INTEGER NOT NULL,
                        PRIMARY KEY (provider, subject)
                    ) WITHOUT ROWID;

                    -- The dev outbox: mail kept here when no mail service is configured.
                    CREATE TABLE outbox (
                        id TEXT PRIMARY KEY NOT NULL,
                        recipient TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        text TEXT NOT NULL,
                        links TEXT NOT NULL,
                        createdAt INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v4: graph, tags, sync") { db in
            try db.execute(
                sql: """
                    -- Either end of a connection may be a thing or a person (usr_…): the domain
                    -- checks the ends, so the foreign keys to things go.
                    CREATE TABLE connections_v4 (
                        id TEXT PRIMARY KEY NOT NULL,
                        groupId TEXT NOT NULL REFERENCES groups(id),
                        fromId TEXT NOT NULL,
                        toId TEXT NOT NULL,
                        type TEXT NOT NULL,
                        metadata TEXT NOT NULL,
                        strength REAL,
                        validFrom INTEGER,
                        validTo INTEGER,
                        createdBy TEXT,
                        createdAt INTEGER NOT NULL,
                        updatedAt INTEGER NOT NULL,
                        deletedAt INTEGER
                    ) WITHOUT ROWID;
                    INSERT INTO connections_v4 SELECT * FROM connections;
                    DROP TABLE connections;
                    ALTER TABLE connections_v4 RENAME TO connections;
                    CREATE UNIQUE INDEX connections_unique_live ON connections(groupId, fromId, toId, type)
                        WHERE deletedAt IS NULL;
                    CREATE INDEX connections_by_group ON connections(groupId, id);
                    CREATE INDEX connections_by_from ON connections(groupId, fromId, id);
                    CREATE INDEX connections_by_to ON connections(groupId, toId, id);

                    -- Tags: key/value pairs in the thing's JSON, mirrored by triggers into an
                    -- index table that serves `?tag=key` and `?tag=key:value`.
                    ALTER TABLE things ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';
                    CREATE TABLE thing_tags (
                        groupId TEXT NOT NULL,
                        thingId TEXT NOT NULL,
                        key TEXT NOT NULL,
                        value TEXT NOT NULL,
                        PRIMARY KEY (thingId, key)
                    ) WITHOUT ROWID;
                    CREATE INDEX thing_tags_by_key ON thing_tags(groupId, key, value, thingId);
                    CREATE TRIGGER things_tags_inserted AFTER INSERT ON things WHEN NEW.tags != '{}' BEGIN
                        INSERT INTO thing_tags SELECT NEW.groupId, NEW.id, key, value FROM json_each(NEW.tags);
                    END;
                    CREATE TRIGGER things_tags_updated AFTER UPDATE OF tags ON things WHEN NEW.tags IS NOT OLD.tags BEGIN
                        DELETE FROM thing_tags WHERE thingId = NEW.id;
                        INSERT INTO thing_tags SELECT NEW.groupId, NEW.id, key, value FROM json_each(NEW.tags);
                    END;

                    -- Sync: which record each outside system's ID became, per group and dimension.
                    CREATE TABLE sync_links (
                        groupId TEXT NOT NULL REFERENCES groups(id),
                        dimension TEXT NOT NULL,
                        source TEXT NOT NULL,
                        externalId TEXT NOT NULL,
                        recordId TEXT NOT NULL,
                        PRIMARY KEY (groupId, dimension, source, externalId)
                    ) WITHOUT ROWID;

                    -- A group's sync secret, stored as its SHA-256 digest.
                    CREATE TABLE sync_secrets (
                        groupId TEXT PRIMARY KEY NOT NULL REFERENCES groups(id),
                        hash TEXT NOT NULL UNIQUE,
                        createdAt INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v5: knowledge search") { db in
            try db.execute(
                sql: """
                    -- A chunk's vector (little-endian floats) and the model that made it.
                    ALTER TABLE knowledge ADD COLUMN embedding BLOB;
                    ALTER TABLE knowledge ADD COLUMN embeddingModel TEXT;
                    CREATE INDEX knowledge_by_document ON knowledge(groupId, json_extract(metadata, '$.documentId'))
                        WHERE type = 'chunk' AND deletedAt IS NULL;

                    -- Full-text search over live chunks (BM25, Porter stems). knowledge has no
                    -- rowid, so knowledge_search gives each indexed chunk one for FTS5.
                    CREATE TABLE knowledge_search (
                        rowid INTEGER PRIMARY KEY,
                        knowledgeId TEXT NOT NULL UNIQUE,
                        groupId TEXT NOT NULL
                    );
                    CREATE VIRTUAL TABLE knowledge_fts USING fts5(text, tokenize = 'porter unicode61');
                    CREATE TRIGGER knowledge_fts_inserted AFTER INSERT ON knowledge
                    WHEN NEW.type = 'chunk' AND NEW.deletedAt IS NULL AND NEW.text IS NOT NULL BEGIN
                        INSERT INTO knowledge_search (knowledgeId, groupId) VALUES (NEW.id, NEW.groupId);
                        INSERT INTO knowledge_fts (rowid, text) VALUES (last_insert_rowid(), NEW.text);
                    END;
                    CREATE TRIGGER knowledge_fts_deleted AFTER UPDATE OF deletedAt ON knowledge
                    WHEN OLD.deletedAt IS NULL AND NEW.deletedAt IS NOT NULL BEGIN
                        DELETE FROM knowledge_fts WHERE rowid = (SELECT rowid FROM knowledge_search WHERE knowledgeId = OLD.id);
                        DELETE FROM knowledge_search WHERE knowledgeId = OLD.id;
                    END;
                    INSERT INTO knowledge_search (knowledgeId, groupId)
                        SELECT id, groupId FROM knowledge WHERE type = 'chunk' AND deletedAt IS NULL AND text IS NOT NULL;
                    INSERT INTO knowledge_fts (rowid, text)
                        SELECT s.rowid, k.text FROM knowledge_search s JOIN knowledge k ON k.id = s.knowledgeId;

                    -- AI tokens each group has used.
                    CREATE TABLE ai_usage (
                        groupId TEXT PRIMARY KEY NOT NULL REFERENCES groups(id),
                        tokens INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v6: text search in memory") { db in
            // Full-text ranking moved to each group's in-memory index (TextPostings), whose
            // statistics are the group's own: FTS5's spanned every tenant.
            try db.execute(
                sql: """
                    DROP TRIGGER knowledge_fts_inserted;
                    DROP TRIGGER knowledge_fts_deleted;
                    DROP TABLE knowledge_fts;
                    DROP TABLE knowledge_search;
                    """)
        }
        return migrator
    }
}
