-- 0012: several instances on one store.
-- instances: every running `ituwatch run`, refreshed by its heartbeat; the
-- one holding the leader lock marks itself leader (status, /healthz).
-- deliveries.claimed_by/claim_until: the lease an instance takes on a
-- delivery before sending it and gives back when it records the outcome, so
-- that two instances never send one delivery at once; a lease left behind
-- by an instance that stopped heartbeating is free again.
-- chat_events: commands already answered, by the platform's event id, so
-- that a command Slack hands to two connections is answered once.

CREATE TABLE instances (
	id           TEXT PRIMARY KEY,
	host         TEXT    NOT NULL DEFAULT '',
	pid          INTEGER NOT NULL DEFAULT 0,
	version      TEXT    NOT NULL DEFAULT '',
	started_at   BIGINT  NOT NULL,
	last_seen    BIGINT  NOT NULL,
	leader       INTEGER NOT NULL DEFAULT 0,
	leader_since BIGINT
);

ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN claim_until BIGINT;

CREATE TABLE chat_events (
	id       TEXT PRIMARY KEY,
	instance TEXT    NOT NULL DEFAULT '',
	seen_at  BIGINT  NOT NULL
);
CREATE INDEX chat_events_seen ON chat_events (seen_at);
