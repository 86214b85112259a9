-- The last warning told to a line's owner about its Graph API version's end, as
-- `<version>:<stage>` (`v21.0:30`: 30 days before; `:0` once ended): each stage is told once.
ALTER TABLE lines ADD COLUMN api_version_warned TEXT;
