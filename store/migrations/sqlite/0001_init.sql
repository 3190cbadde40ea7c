-- 0001: the first schema of ituwatch's memory.
-- Times are INTEGER unix nanoseconds in UTC; NULL means "never" (a zero time.Time).
-- Lists and nested values are JSON text; NULL means empty.

CREATE TABLE items (
	id             INTEGER PRIMARY KEY,
	source_id      TEXT    NOT NULL,
	item_id        TEXT    NOT NULL,
	title          TEXT    NOT NULL DEFAULT '',
	link           TEXT    NOT NULL DEFAULT '',
	published      INTEGER,
	updated        INTEGER,
	summary        TEXT    NOT NULL DEFAULT '',
	content        TEXT    NOT NULL DEFAULT '',
	authors        TEXT,
	categories     TEXT,
	document       TEXT,
	fingerprint    TEXT    NOT NULL DEFAULT '',
	first_seen     INTEGER NOT NULL,
	last_seen      INTEGER NOT NULL,
	first_alert_id INTEGER,
	last_alert_id  INTEGER,
	UNIQUE (source_id, item_id)
);
CREATE INDEX items_first_seen ON items (first_seen, id);

-- The full-text index reads its text through this view so that the private
-- characters Search uses to mark hits in snippets can never come from the
-- stored text itself (U+E000 opens a hit, U+E001 closes it).
CREATE VIEW items_fts_text AS
	SELECT id,
		replace(replace(title,   char(57344), ''), char(57345), '') AS title,
		replace(replace(summary, char(57344), ''), char(57345), '') AS summary,
		replace(replace(content, char(57344), ''), char(57345), '') AS content
	FROM items;

CREATE VIRTUAL TABLE items_fts USING fts5(
	title, summary, content,
	content = 'items_fts_text',
	content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
	INSERT INTO items_fts (rowid, title, summary, content) VALUES (
		new.id,
		replace(replace(new.title,   char(57344), ''), char(57345), ''),
		replace(replace(new.summary, char(57344), ''), char(57345), ''),
		replace(replace(new.content, char(57344), ''), char(57345), ''));
END;

CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
	INSERT INTO items_fts (items_fts, rowid, title, summary, content) VALUES ('delete',
		old.id,
		replace(replace(old.title,   char(57344), ''), char(57345), ''),
		replace(replace(old.summary, char(57344), ''), char(57345), ''),
		replace(replace(old.content, char(57344), ''), char(57345), ''));
END;

CREATE TRIGGER items_fts_update AFTER UPDATE OF title, summary, content ON items
WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary OR old.content IS NOT new.content
BEGIN
	INSERT INTO items_fts (items_fts, rowid, title, summary, content) VALUES ('delete',
		old.id,
		replace(replace(old.title,   char(57344), ''), char(57345), ''),
		replace(replace(old.summary, char(57344), ''), char(57345), ''),
		replace(replace(old.content, char(57344), ''), char(57345), ''));
	INSERT INTO items_fts (rowid, title, summary, content) VALUES (
		new.id,
		replace(replace(new.title,   char(57344), ''), char(57345), ''),
		replace(replace(new.summary, char(57344), ''), char(57345), ''),
		replace(replace(new.content, char(57344), ''), char(57345), ''));
END;

-- An alert keeps the item as it was alerted (item JSON), so an old alert
-- still shows the title its readers saw after the item was revised.
CREATE TABLE alerts (
	id               INTEGER PRIMARY KEY,
	item_rowid       INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
	kind             TEXT    NOT NULL,
	parent_id        INTEGER REFERENCES alerts (id),
	change           TEXT    NOT NULL DEFAULT '',
	item             TEXT    NOT NULL,
	also_reported_by TEXT,
	created_at       INTEGER NOT NULL,
	max_severity     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alerts_created_at ON alerts (created_at);
CREATE INDEX alerts_item ON alerts (item_rowid);
CREATE INDEX alerts_parent ON alerts (parent_id);

CREATE TABLE alert_matches (
	alert_id   INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL,
	topic      TEXT    NOT NULL,
	topic_name TEXT    NOT NULL DEFAULT '',
	severity   INTEGER NOT NULL DEFAULT 0,
	score      REAL    NOT NULL DEFAULT 0,
	annotation TEXT    NOT NULL DEFAULT '',
	hits       TEXT,
	snippets   TEXT,
	PRIMARY KEY (alert_id, seq)
);
CREATE INDEX alert_matches_topic ON alert_matches (topic, alert_id);

-- The outbox. A delivery is written with its alert and is marked delivered
-- only after the platform accepted it.
CREATE TABLE deliveries (
	id           INTEGER PRIMARY KEY,
	alert_id     INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
	destination  TEXT    NOT NULL CHECK (destination <> ''),
	status       TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt INTEGER,
	last_error   TEXT    NOT NULL DEFAULT '',
	external_id  TEXT    NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	delivered_at INTEGER,
	UNIQUE (alert_id, destination)
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt);
CREATE INDEX deliveries_destination ON deliveries (destination, status);

CREATE TABLE source_state (
	source_id            TEXT PRIMARY KEY,
	etag                 TEXT    NOT NULL DEFAULT '',
	last_modified        TEXT    NOT NULL DEFAULT '',
	body_hash            TEXT    NOT NULL DEFAULT '',
	last_poll            INTEGER,
	last_success         INTEGER,
	last_error           TEXT    NOT NULL DEFAULT '',
	consecutive_failures INTEGER NOT NULL DEFAULT 0,
	next_poll            INTEGER,
	retired              INTEGER NOT NULL DEFAULT 0,
	items_seen           INTEGER NOT NULL DEFAULT 0,
	page_text            TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE subscriptions (
	destination TEXT    NOT NULL,
	topic       TEXT    NOT NULL,
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (destination, topic)
);
CREATE INDEX subscriptions_topic ON subscriptions (topic, destination);

CREATE TABLE kv (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
