-- Sessions slide: each one is valid while used (last seen within the idle limit) and up to
-- its absolute end. Users can be disabled (their sessions end; they cannot sign in).
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = created_at;
CREATE INDEX sessions_user ON sessions(user_id);
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
