-- SMS and voicemail through the line's carrier (F22).

-- The line's carrier account (JSON of `carrier::CarrierConfig`); NULL: WhatsApp only.
ALTER TABLE lines ADD COLUMN carrier TEXT;

-- One open thread per (line, channel, guest): a guest may have an open WhatsApp thread and
-- an open SMS thread with the same line.
DROP INDEX threads_one_open;
CREATE UNIQUE INDEX threads_one_open ON threads(line_id, channel, guest_phone) WHERE status = 'open';

-- Whether texts may go to a number (STOP / START), per (line, guest); `state` is the
-- domain's Consent as JSON (`Revoked` after STOP, `Granted` after START).
CREATE TABLE sms_consents (
    line_id     TEXT NOT NULL REFERENCES lines(id),
    guest_phone TEXT NOT NULL,
    state       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (line_id, guest_phone)
);
