-- What several instances share beside the records (bookkeeping: `migrate-store` does not
-- move it, and row counts leave it out). Times are microseconds of the database's clock,
-- the one clock every instance shares.

-- Meta's throughput per business number, held for the line as a whole whichever instance
-- sends: each line's theoretical arrival time (a generic cell rate algorithm;
-- `Store::take_send_slot`).
CREATE TABLE line_rates (
    line_id TEXT PRIMARY KEY,
    tat     BIGINT NOT NULL
);

-- Periodic work done once per period by one instance, not once per instance: when each job
-- last started (`Store::claim_periodic`).
CREATE TABLE periodic_runs (
    job        TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL
);
