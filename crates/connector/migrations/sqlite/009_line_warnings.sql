-- What a line's owner was last told about the line, so that each thing is told once:
-- `api_version_warned`: the end of its Graph API version, as `<version>:<stage>`
-- (`v21.0:30`: 30 days before; `:0` once ended);
-- `blocked_told`: the error code that stops the line from sending (190, 131042, ...),
-- cleared when a message goes out again.
ALTER TABLE lines ADD COLUMN api_version_warned TEXT;
ALTER TABLE lines ADD COLUMN blocked_told TEXT;
