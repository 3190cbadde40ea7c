-- 0002 (postgres): find the reports filed under an alert (one story, one
-- alert) and an item a source re-publishes under a new guid, without scanning.
CREATE INDEX items_first_alert ON items (first_alert_id) WHERE first_alert_id IS NOT NULL;
CREATE INDEX items_source_fingerprint ON items (source_id, fingerprint);
