-- 0005 (postgres): a delivery to a channel or room the bot is not in yet is
-- held, not failed: held_since is when the hold began (NULL: not held).
ALTER TABLE deliveries ADD COLUMN held_since BIGINT;
