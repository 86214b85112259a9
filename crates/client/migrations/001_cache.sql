-- The app's local cache of one signed-in account. Rows keep the connector's JSON as is
-- (`data`), with the columns the app sorts and filters on beside it.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE contacts (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX contacts_name ON contacts(name COLLATE NOCASE);

CREATE TABLE threads (
    id              TEXT PRIMARY KEY,
    last_message_at INTEGER,
    data            TEXT NOT NULL
);
CREATE INDEX threads_recent ON threads(last_message_at DESC);

-- `key` is the client id for messages written here (so the connector's copy replaces the
-- local one), the connector's id otherwise.
CREATE TABLE messages (
    key        TEXT PRIMARY KEY,
    thread_id  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    data       TEXT NOT NULL
);
CREATE INDEX messages_thread ON messages(thread_id, created_at);

-- Messages written but not yet accepted by the connector, in the order they were written.
CREATE TABLE outbox (
    position        INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id       TEXT NOT NULL UNIQUE,
    thread_id       TEXT NOT NULL,
    -- What to ask the connector: an `OutboxRequest` as JSON.
    request         TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0
);
