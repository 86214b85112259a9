-- Guests as Meta identifies them: a number, a WhatsApp business-scoped user id, or both.
-- `guest` (the former `guest_phone`) is the thread's key for its guest: the number when the
-- first message had one, else the user id; it names the guest's standing and never changes.
-- `guest_phone` and `guest_user_id` are what is known of them now (a later message that
-- reveals the number fills it in), `guest_name` their WhatsApp profile name.
ALTER TABLE threads RENAME COLUMN guest_phone TO guest;
ALTER TABLE threads ADD COLUMN guest_phone TEXT;
ALTER TABLE threads ADD COLUMN guest_user_id TEXT;
ALTER TABLE threads ADD COLUMN guest_name TEXT;
UPDATE threads SET guest_phone = guest;
CREATE INDEX threads_guest_phone ON threads(line_id, guest_phone);
CREATE INDEX threads_guest_user_id ON threads(line_id, guest_user_id);
ALTER TABLE consents RENAME COLUMN guest_phone TO guest;
ALTER TABLE sms_consents RENAME COLUMN guest_phone TO guest;

-- What is said about a message: the provider id of the message it answers, whether it was
-- forwarded ('once', 'many'), the ad the guest came from (JSON), and for a kind the app
-- cannot show yet, what Meta sent (the message's JSON, as sent).
ALTER TABLE messages ADD COLUMN reply_to_wamid TEXT;
ALTER TABLE messages ADD COLUMN forwarded TEXT;
ALTER TABLE messages ADD COLUMN ad TEXT;
ALTER TABLE messages ADD COLUMN raw TEXT;

-- A guest's reaction to a message, by the message's provider id (so a reaction that comes
-- before its message waits for it), one per message: a new one replaces it, a removal
-- deletes it.
CREATE TABLE reactions (
    line_id      TEXT NOT NULL,
    target_wamid TEXT NOT NULL,
    emoji        TEXT NOT NULL,
    by_name      TEXT NOT NULL,
    reacted_at   INTEGER NOT NULL,
    PRIMARY KEY (line_id, target_wamid)
);

-- Dead letters: rows set aside after their last attempt, or unreadable when they came.
-- An admin lists and retries them (`multiline-connector inbox list|retry`).
ALTER TABLE webhook_inbox ADD COLUMN dead_at INTEGER;
UPDATE webhook_inbox SET dead_at = processed_at
WHERE processed_at IS NOT NULL AND error IS NOT NULL AND attempts >= 5;
CREATE INDEX webhook_inbox_dead ON webhook_inbox(dead_at) WHERE dead_at IS NOT NULL;
