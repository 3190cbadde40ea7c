-- 0006 (postgres): what a poll that worked found doubtful about what it read.
ALTER TABLE source_state ADD COLUMN warning TEXT NOT NULL DEFAULT '';
