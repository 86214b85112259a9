-- Templates synced from the Cloud API, per line; `components` is Meta's JSON as listed.
CREATE TABLE templates (
    line_id          TEXT NOT NULL REFERENCES lines(id),
    name             TEXT NOT NULL,
    language         TEXT NOT NULL,
    status           TEXT NOT NULL,
    category         TEXT NOT NULL,
    parameter_format TEXT NOT NULL,
    components       TEXT NOT NULL,
    synced_at        INTEGER NOT NULL,
    PRIMARY KEY (line_id, name, language)
);

-- The template that asks a guest for consent (F4).
ALTER TABLE organizations ADD COLUMN opt_in_template TEXT NOT NULL DEFAULT 'optin_request';
ALTER TABLE organizations ADD COLUMN opt_in_language TEXT NOT NULL DEFAULT 'en_US';
