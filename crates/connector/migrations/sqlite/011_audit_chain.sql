-- The audit becomes tamper-evident: each record carries the hash of the organization's
-- previous record and its own (store::audit_chain); the organization's latest hash and
-- record count are kept beside it, so a removed last record shows too. Records written
-- before this version are chained by the migration's hook, in their order.
DROP TRIGGER audit_no_update;
ALTER TABLE audit ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_org ON audit(org_id, id);
CREATE TABLE audit_heads (
    org_id  TEXT PRIMARY KEY,
    records INTEGER NOT NULL,
    hash    TEXT NOT NULL
);
