-- 0008: digests. An alert routed to a destination's digest is not queued
-- as a delivery; digest_entries owes it to the destination's next digest
-- (digest_id NULL until that digest closes). Closing a period writes, in one
-- transaction, its row in digests (identity: destination + period end,
-- UNIQUE, so a period is never closed twice), the digest's pages as alerts
-- of kind 'digest' (their model.Digest as JSON in alerts.digest) with one
-- delivery each, and marks the entries as taken: the outbox then sends each
-- page exactly once like any alert. An empty period is recorded with
-- alert_id NULL and sends nothing.
-- channel_digests holds the digests channels asked for in chat.
ALTER TABLE alerts ADD COLUMN digest TEXT;

CREATE TABLE digests (
	id           INTEGER PRIMARY KEY,
	destination  TEXT    NOT NULL,
	period_start INTEGER,
	period_end   INTEGER NOT NULL,
	alert_id     INTEGER REFERENCES alerts (id),
	entries      INTEGER NOT NULL DEFAULT 0,
	closed_at    INTEGER NOT NULL,
	UNIQUE (destination, period_end)
);

CREATE TABLE digest_entries (
	alert_id    INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
	destination TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	digest_id   INTEGER REFERENCES digests (id),
	PRIMARY KEY (alert_id, destination)
);
CREATE INDEX digest_entries_open ON digest_entries (destination, created_at) WHERE digest_id IS NULL;

CREATE TABLE channel_digests (
	destination TEXT PRIMARY KEY,
	schedule    TEXT NOT NULL,
	timezone    TEXT NOT NULL DEFAULT '',
	topics      TEXT,
	created_at  INTEGER NOT NULL
);
