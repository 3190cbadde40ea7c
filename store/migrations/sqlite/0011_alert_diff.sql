-- 0011: what changed in an alert's text.
-- diff is the alert's model.TextDiff as JSON: the sentences added and
-- removed since the version its readers saw, and the reworded ones word by
-- word, bounded by package textdiff. NULL: no diff (a new item, a change
-- of revision or languages only, or an alert stored before 0011).
ALTER TABLE alerts ADD COLUMN diff TEXT;
