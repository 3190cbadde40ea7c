package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ituwatch/ituwatch/model"
)

const sourceColumns = `source_id, etag, last_modified, body_hash, last_poll, last_success, last_error,
	consecutive_failures, next_poll, retired, items_seen, page_text, warning`

func scanSourceState(sc scanner) (model.SourceState, error) {
	var (
		st                       model.SourceState
		lastPoll, lastOK, nextAt sql.NullInt64
	)
	err := sc.Scan(&st.SourceID, &st.ETag, &st.LastModified, &st.BodyHash, &lastPoll, &lastOK, &st.LastError,
		&st.ConsecutiveFailures, &nextAt, &st.Retired, &st.ItemsSeen, &st.PageText, &st.Warning)
	st.LastPoll = timeFrom(lastPoll)
	st.LastSuccess = timeFrom(lastOK)
	st.NextPoll = timeFrom(nextAt)
	return st, err
}

// SourceState returns what is remembered about a source; a source never
// polled gets a zero state with SourceID set.
func (s *Store) SourceState(ctx context.Context, sourceID string) (model.SourceState, error) {
	st, err := scanSourceState(s.r.QueryRowContext(ctx, `SELECT `+sourceColumns+` FROM source_state WHERE source_id = ?`, sourceID))
	if errors.Is(err, sql.ErrNoRows) {
		return model.SourceState{SourceID: sourceID}, nil
	}
	if err != nil {
		return model.SourceState{}, fmt.Errorf("load state of source %s: %w", sourceID, err)
	}
	return st, nil
}

// SaveSourceState replaces what is remembered about st.SourceID.
func (s *Store) SaveSourceState(ctx context.Context, st model.SourceState) error {
	if st.SourceID == "" {
		return errors.New("save source state: no source id")
	}
	// A poll cycle saves every source's state within a second or two, a
	// few at a time: lazy writes share commits.
	err := s.lazyWriteTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// An update in place: REPLACE would delete the row and insert it
		// again, rewriting the primary-key index each poll.
		_, err := tx.ExecContext(ctx, `INSERT INTO source_state (`+sourceColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (source_id) DO UPDATE SET
				etag = excluded.etag, last_modified = excluded.last_modified, body_hash = excluded.body_hash,
				last_poll = excluded.last_poll, last_success = excluded.last_success, last_error = excluded.last_error,
				consecutive_failures = excluded.consecutive_failures, next_poll = excluded.next_poll,
				retired = excluded.retired, items_seen = excluded.items_seen, page_text = excluded.page_text,
				warning = excluded.warning`,
			st.SourceID, st.ETag, st.LastModified, st.BodyHash, timeArg(st.LastPoll), timeArg(st.LastSuccess), st.LastError,
			st.ConsecutiveFailures, timeArg(st.NextPoll), boolInt(st.Retired), st.ItemsSeen, st.PageText, st.Warning)
		return err
	})
	if err != nil {
		return fmt.Errorf("save state of source %s: %w", st.SourceID, err)
	}
	return nil
}

// SourceStates returns every remembered source state, by source id.
func (s *Store) SourceStates(ctx context.Context) ([]model.SourceState, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sourceColumns+` FROM source_state ORDER BY source_id`)
	if err != nil {
		return nil, fmt.Errorf("list source states: %w", err)
	}
	defer rows.Close()
	var out []model.SourceState
	for rows.Next() {
		st, err := scanSourceState(rows)
		if err != nil {
			return nil, fmt.Errorf("list source states: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list source states: %w", err)
	}
	return out, nil
}
