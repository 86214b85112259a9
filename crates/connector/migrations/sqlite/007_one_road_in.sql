-- Every inbound event takes one road: verified, kept here, answered, then applied by the
-- inbox worker (which fetches media, with retries). `source` says how `body` is read:
-- 'whatsapp' (a Cloud API body as Meta signed it) or 'carrier' (a carrier's event, verified
-- and read into the connector's JSON: `inbox::CarrierEvent`). A failed attempt is retried
-- from `next_attempt_at` on (the connector's clock), with a growing pause.
ALTER TABLE webhook_inbox ADD COLUMN source TEXT NOT NULL DEFAULT 'whatsapp';
ALTER TABLE webhook_inbox ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX webhook_inbox_pending ON webhook_inbox(next_attempt_at, id) WHERE processed_at IS NULL;

-- Voicemails waiting for their recording, as the previous version kept them (a marker
-- object among the Cloud API bodies), become carrier events.
UPDATE webhook_inbox
SET source = 'carrier',
    body = CAST(json_object(
        'event', 'recording',
        'recording_id', json_extract(CAST(body AS TEXT), '$.recording_id'),
        'url', json_extract(CAST(body AS TEXT), '$.url'),
        'duration_secs', json_extract(CAST(body AS TEXT), '$.duration_secs'),
        'from', json_extract(CAST(body AS TEXT), '$.from')
    ) AS BLOB)
WHERE json_valid(CAST(body AS TEXT))
  AND json_extract(CAST(body AS TEXT), '$.object') = 'multiline.pending_voicemail';
