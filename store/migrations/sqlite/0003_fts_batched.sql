-- 0003: index items for search in batches instead of one item at a time.
-- FTS5 flushes its pending terms to a new segment at every statement
-- savepoint, so indexing from the item triggers wrote one segment per item
-- and spent most of a poll cycle merging them. The triggers now only note
-- which items need (re)indexing; the store's writer indexes them in steps of
-- many items when it has nothing more urgent to do (store.indexStep).

DROP TRIGGER items_fts_insert;
DROP TRIGGER items_fts_update;
DROP TRIGGER items_fts_delete;

CREATE TABLE items_fts_pending (id INTEGER PRIMARY KEY);

CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
	INSERT OR IGNORE INTO items_fts_pending (id) VALUES (new.id);
END;

-- An indexed item whose text changed leaves the index with the text it was
-- indexed with (an external-content delete needs exactly those values) and
-- waits to be indexed again. A pending one is indexed from its current text.
CREATE TRIGGER items_fts_update AFTER UPDATE OF title, summary, content ON items
WHEN (old.title IS NOT new.title OR old.summary IS NOT new.summary OR old.content IS NOT new.content)
	AND NOT EXISTS (SELECT 1 FROM items_fts_pending WHERE id = old.id)
BEGIN
	INSERT INTO items_fts (items_fts, rowid, title, summary, content) VALUES ('delete',
		old.id,
		replace(replace(old.title,   char(57344), ''), char(57345), ''),
		replace(replace(old.summary, char(57344), ''), char(57345), ''),
		replace(replace(old.content, char(57344), ''), char(57345), ''));
	INSERT INTO items_fts_pending (id) VALUES (old.id);
END;

CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
	INSERT INTO items_fts (items_fts, rowid, title, summary, content)
	SELECT 'delete',
		old.id,
		replace(replace(old.title,   char(57344), ''), char(57345), ''),
		replace(replace(old.summary, char(57344), ''), char(57345), ''),
		replace(replace(old.content, char(57344), ''), char(57345), '')
	WHERE NOT EXISTS (SELECT 1 FROM items_fts_pending WHERE id = old.id);
	DELETE FROM items_fts_pending WHERE id = old.id;
END;
