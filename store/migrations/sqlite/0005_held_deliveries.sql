-- 0005: a delivery to a channel or room the bot is not in yet is held, not
-- failed: held_since is when the hold began (NULL: not held). The first
-- pending delivery of a destination carries it; the dispatcher retries that
-- one now and then and gives up only after delivery.hold_for.

ALTER TABLE deliveries ADD COLUMN held_since INTEGER;
