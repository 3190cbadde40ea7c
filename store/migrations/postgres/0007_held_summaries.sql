-- 0007 (postgres): the per-poll limit of alerts per source and destination
-- (see the SQLite file of the same number): held is a summary alert's
-- model.HeldAlerts as JSON, held_from the destinations the limit kept an
-- alert from, as a JSON list.
ALTER TABLE alerts ADD COLUMN held TEXT;
ALTER TABLE alerts ADD COLUMN held_from TEXT;
