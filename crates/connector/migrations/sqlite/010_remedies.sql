-- What a user can do about a failed message (`retry`, `template`, `sms`), from Meta's error
-- table; NULL for nothing.
ALTER TABLE messages ADD COLUMN remedy TEXT;
