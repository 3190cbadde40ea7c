-- 0007: a summary alert (kind 'summary') stands for the alerts of one poll
-- of a source that the per-poll limit kept from one destination. held is
-- its model.HeldAlerts as JSON (source, destination, count, limit, topics);
-- NULL for every other alert. The summary goes through the outbox like an
-- alert, so it is sent exactly once, and its item_rowid names one of the
-- items it stands for.
ALTER TABLE alerts ADD COLUMN held TEXT;
