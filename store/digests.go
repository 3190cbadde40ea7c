package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// oweDigest records, in the transaction that stores the alert, that the
// alert goes into the next digest of each destination.
func oweDigest(ctx context.Context, tx *sql.Tx, alertID int64, dests []string, now time.Time) error {
	for _, dest := range dests {
		if _, err := tx.ExecContext(ctx, `INSERT INTO digest_entries (alert_id, destination, created_at)
			VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, alertID, dest, now.UnixNano()); err != nil {
			return fmt.Errorf("owe alert to the digest of %q: %w", dest, err)
		}
	}
	return nil
}

// OpenDigestEntries returns the alerts owed to destination's digest that no
// digest took yet, stored at or before until, oldest first.
func (s *Store) OpenDigestEntries(ctx context.Context, destination string, until time.Time) ([]model.DigestEntry, error) {
	fail := func(err error) ([]model.DigestEntry, error) {
		return nil, fmt.Errorf("read the digest of %s: %w", destination, err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT a.id, coalesce(a.parent_id, 0), a.item, a.also_reported_by, e.created_at
		FROM digest_entries e JOIN alerts a ON a.id = e.alert_id
		WHERE e.destination = ? AND e.digest_id IS NULL AND e.created_at <= ?
		ORDER BY e.created_at, a.id`, destination, sinceArg(until))
	if err != nil {
		return fail(err)
	}
	var (
		out   []model.DigestEntry
		index = map[int64]int{}
	)
	err = func() error {
		defer rows.Close()
		for rows.Next() {
			var (
				e       model.DigestEntry
				itemRaw string
				also    sql.NullString
				created sql.NullInt64
			)
			if err := rows.Scan(&e.AlertID, &e.ParentID, &itemRaw, &also, &created); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(itemRaw), &e.Item); err != nil {
				return fmt.Errorf("item of alert %d: %w", e.AlertID, err)
			}
			if err := unmarshalNull(also, &e.AlsoBy); err != nil {
				return fmt.Errorf("also-reported-by of alert %d: %w", e.AlertID, err)
			}
			e.CreatedAt = timeFrom(created)
			index[e.AlertID] = len(out)
			out = append(out, e)
		}
		return rows.Err()
	}()
	if err != nil {
		return fail(err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	// The matches of the same entries, in one pass over the index of the
	// open entries again, not one query per alert.
	mrows, err := s.r.QueryContext(ctx, `SELECT m.alert_id, m.topic, m.topic_name, m.severity
		FROM digest_entries e JOIN alert_matches m ON m.alert_id = e.alert_id
		WHERE e.destination = ? AND e.digest_id IS NULL AND e.created_at <= ?
		ORDER BY m.alert_id, m.seq`, destination, sinceArg(until))
	if err != nil {
		return fail(err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var (
			id  int64
			m   model.Match
			sev int
		)
		if err := mrows.Scan(&id, &m.Topic, &m.TopicName, &sev); err != nil {
			return fail(err)
		}
		m.Severity = model.Severity(sev)
		if i, ok := index[id]; ok {
			out[i].Matches = append(out[i].Matches, m)
		}
	}
	if err := mrows.Err(); err != nil {
		return fail(err)
	}
	return out, nil
}

// LastDigestEnd is when destination's latest digest closed; zero if none did.
func (s *Store) LastDigestEnd(ctx context.Context, destination string) (time.Time, error) {
	var end sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT max(period_end) FROM digests WHERE destination = ?`, destination).Scan(&end); err != nil {
		return time.Time{}, fmt.Errorf("find the last digest of %s: %w", destination, err)
	}
	return timeFrom(end), nil
}

// MutedCount counts the matches muted at destination in (start, end]:
// deliveries stored with status "muted", never sent.
func (s *Store) MutedCount(ctx context.Context, destination string, start, end time.Time) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM deliveries
		WHERE destination = ? AND status = 'muted' AND created_at > ? AND created_at <= ?`,
		destination, sinceArg(start), sinceArg(end)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count the muted matches of %s: %w", destination, err)
	}
	return n, nil
}

// ErrDigestClosed says a period was already closed: its digest exists and
// must not be written again.
var ErrDigestClosed = errors.New("this digest period was already closed")

// CloseDigest closes destination's period ending at end, in one
// transaction: it records the period (once: a second close of the same
// period returns ErrDigestClosed and writes nothing), stores pages as
// alerts of kind digest, the second and later threaded under the first,
// with one delivery each, and marks the entries taken (alertIDs) so that
// no other digest repeats them. No pages: an empty period, recorded only.
// It returns the pages' alert ids.
func (s *Store) CloseDigest(ctx context.Context, destination string, start, end time.Time, pages []model.Alert, alertIDs []int64) ([]int64, error) {
	now := storedTime(s.now())
	ids := make([]int64, len(pages))
	err := s.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// RETURNING, not LastInsertId, which Postgres lacks; a period
		// closed before returns no row.
		var digestID int64
		err := tx.QueryRowContext(ctx, `INSERT INTO digests (destination, period_start, period_end, entries, closed_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (destination, period_end) DO NOTHING RETURNING id`,
			destination, timeArg(start), timeArg(end), len(alertIDs), now.UnixNano()).Scan(&digestID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrDigestClosed
		}
		if err != nil {
			return err
		}
		for i := range pages {
			p := &pages[i]
			if i > 0 {
				p.ParentID = ids[0]
			}
			// A page is filed under the item of one alert it lists.
			var rowID int64
			if err := tx.QueryRowContext(ctx, `SELECT item_rowid FROM alerts WHERE id = ?`, p.Digest.Topics[0].Stories[0].AlertID).Scan(&rowID); err != nil {
				return fmt.Errorf("find the item of alert %d: %w", p.Digest.Topics[0].Stories[0].AlertID, err)
			}
			id, err := insertAlert(ctx, tx, rowID, p, p.Item, now)
			if err != nil {
				return err
			}
			b, err := json.Marshal(p.Digest)
			if err != nil {
				return fmt.Errorf("encode digest page: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE alerts SET digest = ? WHERE id = ?`, string(b), id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (alert_id, destination, status, next_attempt, created_at)
				VALUES (?, ?, 'pending', ?, ?)`, id, destination, now.UnixNano(), now.UnixNano()); err != nil {
				return fmt.Errorf("queue digest to %q: %w", destination, err)
			}
			ids[i] = id
		}
		if len(ids) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE digests SET alert_id = ? WHERE id = ?`, ids[0], digestID); err != nil {
				return err
			}
		}
		for len(alertIDs) > 0 {
			chunk := alertIDs[:min(len(alertIDs), 500)]
			alertIDs = alertIDs[len(chunk):]
			in, args := inList(chunk)
			if _, err := tx.ExecContext(ctx, `UPDATE digest_entries SET digest_id = ?
				WHERE destination = ? AND digest_id IS NULL AND alert_id IN (`+in+`)`,
				append([]any{digestID, destination}, args...)...); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, ErrDigestClosed) {
		return nil, fmt.Errorf("close the digest of %s ending %s: %w", destination, end.Format(time.RFC3339), err)
	}
	if err != nil {
		return nil, fmt.Errorf("close the digest of %s ending %s: %w", destination, end.Format(time.RFC3339), err)
	}
	for i := range pages {
		pages[i].ID = ids[i]
		pages[i].CreatedAt = now
	}
	return ids, nil
}

// SetChannelDigest makes the channel's alerts on cd.Topics (all when empty)
// go into a digest on cd.Schedule, replacing what it had.
func (s *Store) SetChannelDigest(ctx context.Context, cd model.ChannelDigest) error {
	if cd.Destination == "" {
		return errors.New("set a channel digest: no channel given")
	}
	topics, err := jsonArg(cd.Topics)
	if err != nil {
		return fmt.Errorf("set the digest of %s: %w", cd.Destination, err)
	}
	return s.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO channel_digests (destination, schedule, timezone, topics, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (destination) DO UPDATE SET
			schedule = excluded.schedule, timezone = excluded.timezone, topics = excluded.topics`,
			cd.Destination, cd.Schedule, cd.Timezone, topics, s.now().UnixNano())
		if err != nil {
			return fmt.Errorf("set the digest of %s: %w", cd.Destination, err)
		}
		return nil
	})
}

// RemoveChannelDigest ends the channel's digest; alerts go out one by one
// again. It reports whether the channel had one.
func (s *Store) RemoveChannelDigest(ctx context.Context, destination string) (bool, error) {
	var n int64
	err := s.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM channel_digests WHERE destination = ?`, destination)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("end the digest of %s: %w", destination, err)
	}
	return n > 0, nil
}

// ChannelDigests lists the digests channels asked for, by destination.
func (s *Store) ChannelDigests(ctx context.Context) ([]model.ChannelDigest, error) {
	return s.channelDigests(ctx, "")
}

// ChannelDigest is the digest destination asked for; ok false if none.
func (s *Store) ChannelDigest(ctx context.Context, destination string) (cd model.ChannelDigest, ok bool, err error) {
	all, err := s.channelDigests(ctx, destination)
	if err != nil || len(all) == 0 {
		return model.ChannelDigest{}, false, err
	}
	return all[0], true, nil
}

func (s *Store) channelDigests(ctx context.Context, destination string) ([]model.ChannelDigest, error) {
	q := `SELECT destination, schedule, timezone, topics FROM channel_digests`
	var args []any
	if destination != "" {
		q += ` WHERE destination = ?`
		args = append(args, destination)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY destination`, args...)
	if err != nil {
		return nil, fmt.Errorf("read channel digests: %w", err)
	}
	defer rows.Close()
	var out []model.ChannelDigest
	for rows.Next() {
		var (
			cd     model.ChannelDigest
			topics sql.NullString
		)
		if err := rows.Scan(&cd.Destination, &cd.Schedule, &cd.Timezone, &topics); err != nil {
			return nil, fmt.Errorf("read channel digests: %w", err)
		}
		if err := unmarshalNull(topics, &cd.Topics); err != nil {
			return nil, fmt.Errorf("read channel digests: %w", err)
		}
		out = append(out, cd)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read channel digests: %w", err)
	}
	return out, nil
}

// OwedDigests lists the destinations that are owed alerts no digest took
// yet, so that a digest turned off (in chat or in the config) still sends
// what it was owed.
func (s *Store) OwedDigests(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT destination FROM digest_entries WHERE digest_id IS NULL ORDER BY destination`)
	if err != nil {
		return nil, fmt.Errorf("list the digests owed: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("list the digests owed: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the digests owed: %w", err)
	}
	return out, nil
}
