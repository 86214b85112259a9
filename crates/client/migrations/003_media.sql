-- Pictures prepared on this device (and, later, received ones): the files live in the
-- account's `media/` folder; this is what is known about them.
CREATE TABLE media (
    id           TEXT PRIMARY KEY,
    file         TEXT NOT NULL,
    thumbnail    TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
