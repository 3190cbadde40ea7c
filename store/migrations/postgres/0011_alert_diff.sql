-- 0011 (postgres): what changed in an alert's text, as model.TextDiff JSON.
ALTER TABLE alerts ADD COLUMN diff TEXT;
