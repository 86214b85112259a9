-- The words that grant and revoke consent, chosen per organization (F6). NULL: the defaults
-- (`ConsentKeywords::default()`); otherwise the JSON of `ConsentKeywords`.
ALTER TABLE organizations ADD COLUMN consent_keywords TEXT;
