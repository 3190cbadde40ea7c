-- 0014 (postgres): search finds what it finds on SQLite.
-- Postgres's parser, fed the raw text, keeps "C20/51-E" as one file-name
-- token, "www.itu.int" as one host name and "over-the-top" as a word of its
-- own beside its parts, and the 'simple' configuration keeps diacritics, so
-- "C20/51", "itu" and "resolution" did not find what SQLite's FTS5
-- (unicode61, remove_diacritics 2) finds. search_fold splits and folds the
-- text the way that tokenizer (and store.ftsTokens) does before the parser
-- sees it: lower case, diacritics dropped, every run of letters and digits
-- a word. The search builds its query through the same function
-- (store/search_pg.go), so query and index always agree.
--
-- ASCII text, most of it, skips the decomposition (a third of the cost).
-- The diacritics are the combining marks of Latin, Greek, Cyrillic and
-- Arabic script after canonical decomposition. The separators are every
-- ASCII character but letters and digits, and the punctuation and symbol
-- blocks of Unicode, named rather than read from [:alnum:] alone: in a
-- database whose locale is C, [:alnum:] knows no letter beyond ASCII.
CREATE FUNCTION search_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fold$
SELECT regexp_replace(
	CASE WHEN t ~ '[^\x01-\x7f]' THEN
		regexp_replace(normalize(lower(t), NFD),
			'[\u0300-\u036f\u0483-\u0489\u0610-\u061a\u064b-\u065f\u0670\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+', '', 'g')
	ELSE lower(t) END,
	'(?:[^[:alnum:]\u00c0-\U0010ffff]|[\u00d7\u00f7\u2000-\u2bff\u3000-\u303f\ufe10-\ufe1f\ufe30-\ufe6f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\U0001f000-\U0001faff])+',
	' ', 'g')
$fold$;

ALTER TABLE items DROP COLUMN search_vector;
ALTER TABLE items ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
	setweight(to_tsvector('simple'::regconfig, search_fold(title)), 'A') ||
	setweight(to_tsvector('simple'::regconfig, search_fold(summary)), 'B') ||
	setweight(to_tsvector('simple'::regconfig, search_fold(left(content, 300000))), 'C')) STORED;
CREATE INDEX items_search ON items USING GIN (search_vector);
