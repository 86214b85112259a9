-- Which instance applies each line's webhook inbox, and until when (microseconds of the
-- connector's clock): one at a time per line, so a line's rows are applied in their order
-- and a dead instance's line is taken over when its lease runs out (`InboxTx::inbox_claim`).
-- Bookkeeping: `migrate-store` does not move it, and row counts leave it out.
CREATE TABLE inbox_leases (
    line_id TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    until   BIGINT NOT NULL
);
