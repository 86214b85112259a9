-- Times are INTEGER microseconds since the Unix epoch (UTC); ids are UUID strings.

CREATE TABLE organizations (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    whatsapp_enabled INTEGER NOT NULL DEFAULT 0,
    window_rule      TEXT NOT NULL DEFAULT 'any_message',
    created_at       INTEGER NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id),
    name          TEXT NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

-- Only a SHA-256 of each bearer token is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- A business phone number on the Cloud API.
CREATE TABLE lines (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organizations(id),
    phone_number_id      TEXT NOT NULL UNIQUE,
    waba_id              TEXT NOT NULL,
    display_phone_number TEXT NOT NULL,
    access_token         TEXT NOT NULL,
    app_secret           TEXT NOT NULL,
    verify_token         TEXT NOT NULL,
    api_base_url         TEXT NOT NULL,
    api_version          TEXT NOT NULL,
    owner_user_id        TEXT NOT NULL REFERENCES users(id)
);

CREATE TABLE contacts (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations(id),
    name       TEXT NOT NULL,
    company    TEXT,
    notes      TEXT,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
);
CREATE INDEX contacts_org_name ON contacts(org_id, name);

CREATE TABLE contact_phones (
    contact_id TEXT NOT NULL REFERENCES contacts(id),
    position   INTEGER NOT NULL,
    number     TEXT NOT NULL,
    label      TEXT NOT NULL,
    PRIMARY KEY (contact_id, position)
);
CREATE INDEX contact_phones_number ON contact_phones(number);

-- Consent per (line, guest); `state` is the domain's Consent as JSON.
CREATE TABLE consents (
    line_id     TEXT NOT NULL REFERENCES lines(id),
    guest_phone TEXT NOT NULL,
    state       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (line_id, guest_phone)
);

CREATE TABLE threads (
    id                    TEXT PRIMARY KEY,
    org_id                TEXT NOT NULL REFERENCES organizations(id),
    line_id               TEXT NOT NULL REFERENCES lines(id),
    channel               TEXT NOT NULL,
    guest_phone           TEXT NOT NULL,
    contact_id            TEXT REFERENCES contacts(id),
    status                TEXT NOT NULL,
    template_required     INTEGER NOT NULL DEFAULT 0,
    last_message_at       INTEGER,
    last_guest_message_at INTEGER,
    last_message_preview  TEXT,
    created_at            INTEGER NOT NULL,
    closed_at             INTEGER
);
-- At most one open thread per (line, guest).
CREATE UNIQUE INDEX threads_one_open ON threads(line_id, guest_phone) WHERE status = 'open';
CREATE INDEX threads_guest ON threads(line_id, guest_phone, created_at);

CREATE TABLE participants (
    thread_id    TEXT NOT NULL REFERENCES threads(id),
    user_id      TEXT NOT NULL REFERENCES users(id),
    joined_at    INTEGER NOT NULL,
    left_at      INTEGER,
    last_read_at INTEGER,
    PRIMARY KEY (thread_id, user_id)
);
CREATE INDEX participants_user ON participants(user_id) WHERE left_at IS NULL;

CREATE TABLE messages (
    id             TEXT PRIMARY KEY,
    thread_id      TEXT NOT NULL REFERENCES threads(id),
    direction      TEXT NOT NULL,
    author_user_id TEXT REFERENCES users(id),
    client_id      TEXT,
    wamid          TEXT,
    body           TEXT NOT NULL,
    state          TEXT NOT NULL,
    failure        TEXT,
    created_at     INTEGER NOT NULL
);
CREATE INDEX messages_thread ON messages(thread_id, created_at);
-- Meta retries webhooks: one row per wamid.
CREATE UNIQUE INDEX messages_wamid ON messages(wamid) WHERE wamid IS NOT NULL;
-- The app's idempotency key.
CREATE UNIQUE INDEX messages_client_id ON messages(author_user_id, client_id) WHERE client_id IS NOT NULL;

-- The durable dispatch queue (transactional outbox).
CREATE TABLE outbox (
    position        INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id      TEXT NOT NULL UNIQUE REFERENCES messages(id),
    thread_id       TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    in_flight_since INTEGER
);

-- What each user may see, numbered per user: the WebSocket replays from here.
CREATE TABLE events (
    user_id    TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;

-- Statuses that arrived before the send's answer recorded their wamid (the Cloud API may
-- report `sent`/`delivered` before the connector has stored the id it answered with).
CREATE TABLE early_statuses (
    line_id     TEXT NOT NULL,
    wamid       TEXT NOT NULL,
    state       TEXT NOT NULL,
    error_code  INTEGER,
    error_title TEXT,
    received_at INTEGER NOT NULL
);
CREATE INDEX early_statuses_wamid ON early_statuses(wamid);

-- Webhook bodies as received (signature already checked), processed after the 200.
CREATE TABLE webhook_inbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    line_id      TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    body         BLOB NOT NULL,
    processed_at INTEGER,
    -- Failed processing attempts; after `webhooks::MAX_ATTEMPTS` the row is set aside (a
    -- dead letter, kept with its error) so that later webhooks are not blocked behind it.
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT
);

-- Append-only compliance record (F21).
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id    TEXT NOT NULL,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    thread_id TEXT,
    detail    TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
