-- 0007: the per-poll limit of alerts per source and destination.
-- A summary alert (kind 'summary') stands for the alerts of one poll of a
-- source that the limit kept from one destination; held is its
-- model.HeldAlerts as JSON (source, destination, count, limit, topics), NULL
-- for every other alert. The summary goes through the outbox like an
-- alert, so it is sent exactly once; its item_rowid names one of the items
-- it stands for.
-- held_from lists, as JSON, the destinations the limit kept an alert from
-- (NULL: none). An alert kept from all of them was never seen, so it is
-- no story for later reports to join (store.StoryCandidates).
ALTER TABLE alerts ADD COLUMN held TEXT;
ALTER TABLE alerts ADD COLUMN held_from TEXT;
