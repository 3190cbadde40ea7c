-- 0010: who is on an alert, the team's notes on it, and the edits its
-- posted messages owe.
-- alert_claims: one row per claimed or done alert; unclaim deletes it.
CREATE TABLE alert_claims (
	alert_id    INTEGER PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE,
	state       TEXT    NOT NULL CHECK (state IN ('claimed', 'done')),
	platform    TEXT    NOT NULL,
	user_id     TEXT    NOT NULL,
	user_name   TEXT    NOT NULL DEFAULT '',
	note        TEXT    NOT NULL DEFAULT '',
	at          INTEGER NOT NULL
);

-- alert_notes: replies starting with "note:" in an alert's thread, captured
-- as they arrive; a message is stored once however often it is seen.
CREATE TABLE alert_notes (
	id          INTEGER PRIMARY KEY,
	alert_id    INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
	platform    TEXT    NOT NULL,
	message_id  TEXT    NOT NULL,
	user_id     TEXT    NOT NULL,
	user_name   TEXT    NOT NULL DEFAULT '',
	text        TEXT    NOT NULL,
	at          INTEGER NOT NULL,
	UNIQUE (platform, message_id)
);
CREATE INDEX alert_notes_alert ON alert_notes (alert_id, id);

-- alert_edits: the outbox of message edits. One row per posted message
-- whose alert's claim changed since it was last edited; the edit shows the
-- claim as it stands when made, so later changes fold into the same row
-- (version counts them, so an edit made while another change came in is
-- made again). A row stays until the edit is accepted or cannot be made.
CREATE TABLE alert_edits (
	delivery_id  INTEGER PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
	version      INTEGER NOT NULL DEFAULT 1,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER NOT NULL,
	last_error   TEXT    NOT NULL DEFAULT '',
	requested_at INTEGER NOT NULL
);
CREATE INDEX alert_edits_due ON alert_edits (next_attempt);

-- Finding the alert of a thread a note was written in.
CREATE INDEX deliveries_external ON deliveries (external_id);
