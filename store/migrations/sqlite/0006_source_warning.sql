-- 0006: what a poll that worked found doubtful about what it read (a page
-- whose watched text is only links, a listing table with no readable row),
-- shown by the sources and status commands until a poll reads well again.

ALTER TABLE source_state ADD COLUMN warning TEXT NOT NULL DEFAULT '';
