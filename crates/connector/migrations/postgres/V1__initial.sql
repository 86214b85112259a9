-- The connector's store on PostgreSQL: the same records as the SQLite schema after its
-- migrations 001..012 (migrations/sqlite/), in PostgreSQL's types. Times are microseconds
-- since the epoch (BIGINT), ids their text (UUIDs), enums their serde names, documents JSON
-- text: the same values as in SQLite, so `migrate-store` copies rows as they are.
-- `seq` columns keep the order rows were stored in, where SQLite uses its rowid.

CREATE TABLE organizations (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    whatsapp_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    window_rule      TEXT NOT NULL DEFAULT 'any_message',
    created_at       BIGINT NOT NULL,
    opt_in_template  TEXT NOT NULL DEFAULT 'optin_request',
    opt_in_language  TEXT NOT NULL DEFAULT 'en_US',
    consent_keywords TEXT
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id),
    name          TEXT NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    disabled_at   BIGINT
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    last_seen_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE lines (
    id                   TEXT PRIMARY KEY,
    seq                  BIGINT GENERATED ALWAYS AS IDENTITY,
    org_id               TEXT NOT NULL REFERENCES organizations(id),
    phone_number_id      TEXT NOT NULL UNIQUE,
    waba_id              TEXT NOT NULL,
    display_phone_number TEXT NOT NULL,
    access_token         TEXT NOT NULL,
    app_secret           TEXT NOT NULL,
    verify_token         TEXT NOT NULL,
    api_base_url         TEXT NOT NULL,
    api_version          TEXT NOT NULL,
    owner_user_id        TEXT NOT NULL REFERENCES users(id),
    carrier              TEXT,
    api_version_warned   TEXT,
    blocked_told         TEXT
);

CREATE TABLE contacts (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations(id),
    name       TEXT NOT NULL,
    company    TEXT,
    notes      TEXT,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX contacts_org_name ON contacts(org_id, (lower(name) COLLATE "C"));

CREATE TABLE contact_phones (
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    position   BIGINT NOT NULL,
    number     TEXT NOT NULL,
    label      TEXT NOT NULL,
    PRIMARY KEY (contact_id, position)
);
CREATE INDEX contact_phones_number ON contact_phones(number);

CREATE TABLE consents (
    line_id    TEXT NOT NULL REFERENCES lines(id),
    guest      TEXT NOT NULL,
    state      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (line_id, guest)
);

CREATE TABLE sms_consents (
    line_id    TEXT NOT NULL REFERENCES lines(id),
    guest      TEXT NOT NULL,
    state      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (line_id, guest)
);

CREATE TABLE threads (
    id                    TEXT PRIMARY KEY,
    org_id                TEXT NOT NULL REFERENCES organizations(id),
    line_id               TEXT NOT NULL REFERENCES lines(id),
    channel               TEXT NOT NULL,
    guest                 TEXT NOT NULL,
    contact_id            TEXT REFERENCES contacts(id),
    status                TEXT NOT NULL,
    template_required     BOOLEAN NOT NULL DEFAULT FALSE,
    last_message_at       BIGINT,
    last_guest_message_at BIGINT,
    last_message_preview  TEXT,
    created_at            BIGINT NOT NULL,
    closed_at             BIGINT,
    guest_phone           TEXT,
    guest_user_id         TEXT,
    guest_name            TEXT
);
CREATE INDEX threads_guest ON threads(line_id, guest, created_at);
CREATE UNIQUE INDEX threads_one_open ON threads(line_id, channel, guest) WHERE status = 'open';
CREATE INDEX threads_guest_phone ON threads(line_id, guest_phone);
CREATE INDEX threads_guest_user_id ON threads(line_id, guest_user_id);

CREATE TABLE participants (
    thread_id    TEXT NOT NULL REFERENCES threads(id),
    user_id      TEXT NOT NULL REFERENCES users(id),
    joined_at    BIGINT NOT NULL,
    left_at      BIGINT,
    last_read_at BIGINT,
    PRIMARY KEY (thread_id, user_id)
);
CREATE INDEX participants_user ON participants(user_id) WHERE left_at IS NULL;

CREATE TABLE messages (
    id             TEXT PRIMARY KEY,
    seq            BIGINT GENERATED ALWAYS AS IDENTITY,
    thread_id      TEXT NOT NULL REFERENCES threads(id),
    direction      TEXT NOT NULL,
    author_user_id TEXT REFERENCES users(id),
    client_id      TEXT,
    wamid          TEXT,
    body           TEXT NOT NULL,
    state          TEXT NOT NULL,
    failure        TEXT,
    created_at     BIGINT NOT NULL,
    reply_to_wamid TEXT,
    forwarded      TEXT,
    ad             TEXT,
    raw            TEXT,
    remedy         TEXT
);
CREATE INDEX messages_thread ON messages(thread_id, created_at, seq);
CREATE UNIQUE INDEX messages_wamid ON messages(wamid) WHERE wamid IS NOT NULL;
CREATE UNIQUE INDEX messages_client_id ON messages(author_user_id, client_id) WHERE client_id IS NOT NULL;

CREATE TABLE reactions (
    line_id      TEXT NOT NULL,
    target_wamid TEXT NOT NULL,
    emoji        TEXT NOT NULL,
    by_name      TEXT NOT NULL,
    reacted_at   BIGINT NOT NULL,
    PRIMARY KEY (line_id, target_wamid)
);

CREATE TABLE outbox (
    position        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id      TEXT NOT NULL UNIQUE REFERENCES messages(id),
    thread_id       TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    in_flight_since BIGINT
);
CREATE INDEX outbox_thread ON outbox(thread_id, position);

CREATE TABLE events (
    user_id    TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    payload    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, seq)
);

CREATE TABLE early_statuses (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    line_id     TEXT NOT NULL,
    wamid       TEXT NOT NULL,
    state       TEXT NOT NULL,
    error_code  BIGINT,
    error_title TEXT,
    received_at BIGINT NOT NULL
);
CREATE INDEX early_statuses_wamid ON early_statuses(wamid);

CREATE TABLE early_transcripts (
    line_id      TEXT NOT NULL,
    recording_id TEXT NOT NULL,
    text         TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (line_id, recording_id)
);

-- Failed processing attempts; after `webhooks::MAX_ATTEMPTS` the row is set aside (a dead
-- letter, kept with its error) so that later webhooks are not blocked behind it.
CREATE TABLE webhook_inbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    line_id         TEXT NOT NULL,
    source          TEXT NOT NULL DEFAULT 'whatsapp',
    received_at     BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    body            BYTEA NOT NULL,
    processed_at    BIGINT,
    dead_at         BIGINT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    error           TEXT
);
CREATE INDEX webhook_inbox_pending ON webhook_inbox(next_attempt_at, id) WHERE processed_at IS NULL;
CREATE INDEX webhook_inbox_dead ON webhook_inbox(dead_at) WHERE dead_at IS NOT NULL;

-- Append-only compliance record (F21), each organization's records hash-chained.
CREATE TABLE audit (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id    TEXT NOT NULL,
    at        BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    thread_id TEXT,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL DEFAULT '',
    hash      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_org ON audit(org_id, id);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit is append-only';
END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

CREATE TABLE audit_heads (
    org_id  TEXT PRIMARY KEY,
    records BIGINT NOT NULL,
    hash    TEXT NOT NULL
);

CREATE TABLE templates (
    line_id          TEXT NOT NULL REFERENCES lines(id),
    name             TEXT NOT NULL,
    language         TEXT NOT NULL,
    status           TEXT NOT NULL,
    category         TEXT NOT NULL,
    parameter_format TEXT NOT NULL,
    components       TEXT NOT NULL,
    synced_at        BIGINT NOT NULL,
    PRIMARY KEY (line_id, name, language)
);

CREATE TABLE media (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    thread_id   TEXT REFERENCES threads(id),
    uploaded_by TEXT REFERENCES users(id),
    mime_type   TEXT NOT NULL,
    size        BIGINT NOT NULL,
    width       BIGINT NOT NULL,
    height      BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    bytes       BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX media_thread ON media(thread_id);

-- Moves when a session ends or a user is disabled (a sign-out, a revocation): every
-- instance re-checks its open event sockets' sessions when it sees it move
-- (`Store::outside_writes`).
CREATE TABLE access_changes (
    one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    n   BIGINT NOT NULL
);
INSERT INTO access_changes (one, n) VALUES (TRUE, 0);
CREATE FUNCTION access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE access_changes SET n = n + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER sessions_changed AFTER UPDATE OF revoked_at, expires_at OR DELETE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION access_changed();
CREATE TRIGGER users_changed AFTER UPDATE OF disabled_at OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION access_changed();
