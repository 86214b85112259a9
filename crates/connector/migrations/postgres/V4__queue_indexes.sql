-- Indexes for what a busy line does many times a second, found with pg_stat_statements
-- under `make bench` (each query below had to read every waiting row or every message of a
-- thread, so a backlog made each message slower than the last):
-- - a line's waiting rows in order (`inbox_claim`), and the distinct lines that have any;
CREATE INDEX webhook_inbox_line_waiting ON webhook_inbox(line_id, id) WHERE processed_at IS NULL;
-- - the waiting rows in order (`inbox_pending`);
CREATE INDEX webhook_inbox_waiting ON webhook_inbox(id) WHERE processed_at IS NULL;
-- - a thread's messages one way (the last sent before a guest's message, the unread count).
CREATE INDEX messages_thread_direction ON messages(thread_id, direction, created_at);
