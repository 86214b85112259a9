-- Full-text search over message text and contact names (FTS5), and the indexes that page the
-- thread list and a thread's messages without reading them all.

ALTER TABLE messages ADD COLUMN body_text TEXT;
UPDATE messages SET body_text = json_extract(data, '$.body.text');

-- External content: the index keeps only tokens; the text stays in `messages`.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    body_text,
    content = 'messages',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body_text) VALUES (new.rowid, new.body_text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body_text)
    VALUES ('delete', old.rowid, old.body_text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body_text ON messages
WHEN old.body_text IS NOT new.body_text BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body_text)
    VALUES ('delete', old.rowid, old.body_text);
    INSERT INTO messages_fts (rowid, body_text) VALUES (new.rowid, new.body_text);
END;
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

-- Contacts by name and company. Contentless: the row's JSON is the content.
CREATE VIRTUAL TABLE contacts_fts USING fts5(
    name,
    company,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, name, company)
    VALUES (new.rowid, new.name, json_extract(new.data, '$.company'));
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
    DELETE FROM contacts_fts WHERE rowid = old.rowid;
END;
CREATE TRIGGER contacts_fts_update AFTER UPDATE ON contacts BEGIN
    DELETE FROM contacts_fts WHERE rowid = old.rowid;
    INSERT INTO contacts_fts (rowid, name, company)
    VALUES (new.rowid, new.name, json_extract(new.data, '$.company'));
END;
INSERT INTO contacts_fts (rowid, name, company)
SELECT rowid, name, json_extract(data, '$.company') FROM contacts;

-- The thread list, most recent first, paged by (time, id).
DROP INDEX threads_recent;
CREATE INDEX threads_recent ON threads (COALESCE(last_message_at, 0) DESC, id DESC);
-- A thread's messages are paged with `messages_thread (thread_id, created_at)`, whose
-- entries end with the rowid, the tie-breaker.
