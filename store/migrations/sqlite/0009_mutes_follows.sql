-- 0009: mutes, snoozes and follows (issue 14).
--
-- A delivery may now be 'muted' (a mute of the channel matched the alert:
-- stored and counted, never sent) or 'snoozed' (an update of an alert the
-- channel snoozed: held until the snooze ends, then summed up in one update).
-- SQLite cannot alter a CHECK constraint; widening the list of allowed
-- values leaves every stored row valid, so the table's definition is
-- edited in place (https://sqlite.org/lang_altertable.html, "otheralter")
-- instead of rebuilding the outbox, which would have to know every column
-- other migrations add. RESET reloads the schema on this connection; the
-- store's other connections open after migrations ran.
PRAGMA writable_schema = ON;
UPDATE sqlite_master
	SET sql = replace(sql, '''delivered'', ''failed'')', '''delivered'', ''failed'', ''muted'', ''snoozed'')')
	WHERE type = 'table' AND name = 'deliveries' AND instr(sql, '''muted''') = 0;
PRAGMA writable_schema = RESET;

-- A mute silences, in one destination, the alerts of a topic, of a source
-- (a glob on source ids) or containing a phrase, until expires_at (NULL:
-- until unmuted). notified_at is set, in the same transaction that queues
-- the notice, when an expired mute has told its channel that it ended.
CREATE TABLE mutes (
	id          INTEGER PRIMARY KEY,
	destination TEXT    NOT NULL,
	kind        TEXT    NOT NULL CHECK (kind IN ('topic', 'source', 'phrase')),
	value       TEXT    NOT NULL,
	reason      TEXT    NOT NULL DEFAULT '',
	created_by  TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER,
	ended_at    INTEGER
);
CREATE INDEX mutes_active ON mutes (destination) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX mutes_one_active ON mutes (destination, kind, value) WHERE ended_at IS NULL;

-- A snooze holds the updates of one alert from one destination until
-- until; the updates wait as 'snoozed' deliveries. When it ends, one
-- summing-up update is queued and the snooze row deleted in one
-- transaction, so the summary is sent once even across a crash.
CREATE TABLE snoozes (
	alert_id    INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
	destination TEXT    NOT NULL,
	until       INTEGER NOT NULL,
	created_by  TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (alert_id, destination)
);
CREATE INDEX snoozes_until ON snoozes (until);

-- A follow is one person's own watch: words (a phrase), an ITU document
-- number (every revision and language) or a proposer, delivered to their
-- direct messages (destination "slack:@U…" or "matrix:@user:server").
CREATE TABLE follows (
	id          INTEGER PRIMARY KEY,
	destination TEXT    NOT NULL,
	kind        TEXT    NOT NULL CHECK (kind IN ('words', 'document', 'proposer')),
	value       TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	UNIQUE (destination, kind, value)
);
