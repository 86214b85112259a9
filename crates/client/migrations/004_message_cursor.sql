-- A thread's messages page back by (time, id): WhatsApp dates messages to the second, so a
-- time alone cannot say where a page ended among messages sharing one.
ALTER TABLE messages ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
UPDATE messages SET message_id = json_extract(data, '$.id');
CREATE INDEX messages_page ON messages(thread_id, created_at, message_id);
