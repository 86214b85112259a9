-- Pictures: uploaded by users (then sent) or received from guests (downloaded once from the
-- Cloud API). The bytes live here, beside the messages that show them. `thread_id` is set
-- once the picture belongs to a conversation: from then on only its participants may read
-- it; before, only its uploader.
CREATE TABLE media (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations(id),
    thread_id      TEXT REFERENCES threads(id),
    uploaded_by    TEXT REFERENCES users(id),
    mime_type      TEXT NOT NULL,
    size           INTEGER NOT NULL,
    width          INTEGER NOT NULL,
    height         INTEGER NOT NULL,
    sha256         TEXT NOT NULL,
    bytes          BLOB NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX media_thread ON media(thread_id);
