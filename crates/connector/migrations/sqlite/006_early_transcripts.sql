-- A voicemail's transcript that arrived before its recording was stored (the carrier sends
-- them separately): applied when the voicemail is stored.
CREATE TABLE early_transcripts (
    line_id      TEXT NOT NULL,
    recording_id TEXT NOT NULL,
    text         TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    PRIMARY KEY (line_id, recording_id)
);
