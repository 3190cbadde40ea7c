package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// maxNoteRunes bounds a stored note; a longer reply is cut, not refused,
// so that nothing a person wrote is silently dropped.
const maxNoteRunes = 2000

const claimColumns = `alert_id, state, platform, user_id, user_name, note, at`

func scanClaim(sc scanner) (model.AlertClaim, error) {
	var (
		c     model.AlertClaim
		state string
		at    sql.NullInt64
	)
	if err := sc.Scan(&c.AlertID, &state, &c.By.Platform, &c.By.ID, &c.By.Name, &c.Note, &at); err != nil {
		return c, err
	}
	c.State = model.ClaimState(state)
	c.At = timeFrom(at)
	return c, nil
}

// SetClaim records that c.By claimed or closed alert c.AlertID, replacing
// any earlier claim, and in the same transaction asks for an edit of every
// message the alert was (or will be) posted as. It returns the claim it
// replaced, if any, and model.ErrNotFound when there is no such alert.
func (s *Store) SetClaim(ctx context.Context, c model.AlertClaim) (prev model.AlertClaim, had bool, err error) {
	if c.State != model.Claimed && c.State != model.Done {
		return prev, false, fmt.Errorf("claim alert %d: unknown state %q", c.AlertID, c.State)
	}
	err = s.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM alerts WHERE id = ?`, c.AlertID).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("alert %d: %w", c.AlertID, model.ErrNotFound)
			}
			return err
		}
		prev, had, err = claimIn(ctx, tx, c.AlertID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_claims (`+claimColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (alert_id) DO UPDATE SET state = excluded.state, platform = excluded.platform,
				user_id = excluded.user_id, user_name = excluded.user_name, note = excluded.note, at = excluded.at`,
			c.AlertID, string(c.State), c.By.Platform, c.By.ID, c.By.Name, clipRunes(c.Note, maxNoteRunes), timeArg(c.At)); err != nil {
			return err
		}
		return requestEdits(ctx, tx, c.AlertID, c.At)
	})
	if err != nil {
		return model.AlertClaim{}, false, fmt.Errorf("record claim of alert %d: %w", c.AlertID, err)
	}
	return prev, had, nil
}

// ClearClaim removes the claim on an alert (unclaim) and asks for the edits
// that show it; removed is the claim there was.
func (s *Store) ClearClaim(ctx context.Context, alertID int64, at time.Time) (removed model.AlertClaim, had bool, err error) {
	err = s.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		removed, had, err = claimIn(ctx, tx, alertID)
		if err != nil || !had {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM alert_claims WHERE alert_id = ?`, alertID); err != nil {
			return err
		}
		return requestEdits(ctx, tx, alertID, at)
	})
	if err != nil {
		return model.AlertClaim{}, false, fmt.Errorf("remove claim of alert %d: %w", alertID, err)
	}
	return removed, had, nil
}

func claimIn(ctx context.Context, q querier, alertID int64) (model.AlertClaim, bool, error) {
	c, err := scanClaim(q.QueryRowContext(ctx, `SELECT `+claimColumns+` FROM alert_claims WHERE alert_id = ?`, alertID))
	if errors.Is(err, sql.ErrNoRows) {
		return model.AlertClaim{}, false, nil
	}
	if err != nil {
		return model.AlertClaim{}, false, err
	}
	return c, true, nil
}

// requestEdits asks for an edit of each message of the alert that is or
// may still be posted; a request already waiting gets a new version.
func requestEdits(ctx context.Context, tx *sql.Tx, alertID int64, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO alert_edits (delivery_id, next_attempt, requested_at)
		SELECT id, ?, ? FROM deliveries WHERE alert_id = ? AND status <> 'failed'
		ON CONFLICT (delivery_id) DO UPDATE SET version = alert_edits.version + 1, attempts = 0,
			next_attempt = excluded.next_attempt, last_error = '', requested_at = excluded.requested_at`, sinceArg(at), sinceArg(at), alertID)
	return err
}

// AlertClaim returns the claim on an alert; ok is false when nobody claimed it.
func (s *Store) AlertClaim(ctx context.Context, alertID int64) (c model.AlertClaim, ok bool, err error) {
	c, ok, err = claimIn(ctx, s.r, alertID)
	if err != nil {
		return c, false, fmt.Errorf("read claim of alert %d: %w", alertID, err)
	}
	return c, ok, nil
}

// AlertClaims returns the claims on the given alerts, by alert id.
func (s *Store) AlertClaims(ctx context.Context, alertIDs []int64) (map[int64]model.AlertClaim, error) {
	out := map[int64]model.AlertClaim{}
	if len(alertIDs) == 0 {
		return out, nil
	}
	if len(alertIDs) > maxList {
		alertIDs = alertIDs[:maxList]
	}
	args := make([]any, len(alertIDs))
	for i, id := range alertIDs {
		args[i] = id
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+claimColumns+` FROM alert_claims WHERE alert_id IN (?`+strings.Repeat(", ?", len(args)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read claims: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanClaim(rows)
		if err != nil {
			return nil, fmt.Errorf("read claims: %w", err)
		}
		out[c.AlertID] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read claims: %w", err)
	}
	return out, nil
}

// AddNote stores a reply written in the thread of a posted alert. The
// thread is found by the message id its first message was posted under on
// that platform; alertID is 0 (and nothing is stored) when the thread is
// not an alert's. added is false for a message already stored.
func (s *Store) AddNote(ctx context.Context, n model.NoteReply) (alertID int64, added bool, err error) {
	if n.ThreadRoot == "" || n.MessageID == "" || n.Platform == "" {
		return 0, false, fmt.Errorf("store note: a platform, a thread and a message id are needed")
	}
	err = s.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// A thread under an update is the thread of its first alert; notes
		// belong to the alert whose message started the thread.
		err := tx.QueryRowContext(ctx, `SELECT d.alert_id FROM deliveries d
			WHERE d.external_id = ? AND d.destination LIKE ? AND d.status = 'delivered'
			ORDER BY d.id LIMIT 1`, n.ThreadRoot, n.Platform+":%").Scan(&alertID)
		if errors.Is(err, sql.ErrNoRows) {
			alertID = 0
			return nil
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO alert_notes (alert_id, platform, message_id, user_id, user_name, text, at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, message_id) DO NOTHING`,
			alertID, n.Platform, n.MessageID, n.By.ID, n.By.Name, clipRunes(n.Text, maxNoteRunes), timeArg(n.At))
		if err != nil {
			return err
		}
		k, err := res.RowsAffected()
		added = k > 0
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("store note from %s thread %s: %w", n.Platform, n.ThreadRoot, err)
	}
	return alertID, added, nil
}

// AlertOfMessage returns the alert posted on platform (slack, matrix) as
// the message externalID, or 0 when no alert was.
func (s *Store) AlertOfMessage(ctx context.Context, platform, externalID string) (int64, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT alert_id FROM deliveries
		WHERE external_id = ? AND destination LIKE ? AND status = 'delivered' ORDER BY id LIMIT 1`,
		externalID, platform+":%").Scan(&id)
	if errors.Is(err, sql.ErrNoRows) || externalID == "" {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("find the alert of %s message %s: %w", platform, externalID, err)
	}
	return id, nil
}

// Notes returns an alert's notes, oldest first, at most limit (capped at 50).
func (s *Store) Notes(ctx context.Context, alertID int64, limit int) ([]model.AlertNote, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT alert_id, platform, message_id, user_id, user_name, text, at
		FROM alert_notes WHERE alert_id = ? ORDER BY id LIMIT ?`, alertID, boundLimit(limit, maxList, maxList))
	if err != nil {
		return nil, fmt.Errorf("read notes of alert %d: %w", alertID, err)
	}
	defer rows.Close()
	var out []model.AlertNote
	for rows.Next() {
		var (
			n  model.AlertNote
			at sql.NullInt64
		)
		if err := rows.Scan(&n.AlertID, &n.By.Platform, &n.MessageID, &n.By.ID, &n.By.Name, &n.Text, &at); err != nil {
			return nil, fmt.Errorf("read notes of alert %d: %w", alertID, err)
		}
		n.At = timeFrom(at)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read notes of alert %d: %w", alertID, err)
	}
	return out, nil
}

// editable: an edit waits while its message is not posted yet; once the
// delivery failed there is nothing to edit and the worker drops it.
const editable = `d.status IN ('delivered', 'failed')`

// DueEdits returns the edits due at now whose message was posted (or will
// never be), oldest request first. CROSS JOIN keeps SQLite to this order:
// the few owed edits, then each one's delivery by its key; left to itself
// it walks every delivered delivery there ever was.
func (s *Store) DueEdits(ctx context.Context, now time.Time, limit int) ([]model.PendingEdit, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT e.delivery_id, d.alert_id, d.destination,
			CASE WHEN d.status = 'delivered' THEN d.external_id ELSE '' END, e.attempts, e.version, e.requested_at
		FROM alert_edits e `+s.orderedJoin()+` deliveries d ON d.id = e.delivery_id
		WHERE e.next_attempt <= ? AND `+editable+` ORDER BY e.requested_at, e.delivery_id LIMIT ?`,
		sinceArg(now), boundLimit(limit, 100, 1000))
	if err != nil {
		return nil, fmt.Errorf("list due edits: %w", err)
	}
	defer rows.Close()
	var out []model.PendingEdit
	for rows.Next() {
		var (
			e  model.PendingEdit
			at sql.NullInt64
		)
		if err := rows.Scan(&e.DeliveryID, &e.AlertID, &e.Destination, &e.ExternalID, &e.Attempts, &e.Version, &at); err != nil {
			return nil, fmt.Errorf("list due edits: %w", err)
		}
		e.Requested = timeFrom(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list due edits: %w", err)
	}
	return out, nil
}

// NextEdit returns when the earliest edit of a posted message falls due.
func (s *Store) NextEdit(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT min(e.next_attempt) FROM alert_edits e
		`+s.orderedJoin()+` deliveries d ON d.id = e.delivery_id WHERE `+editable).Scan(&next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("find next due edit: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return timeFrom(next), true, nil
}

// EditDone forgets an edit that was made (or cannot be made), unless the
// claim changed again meanwhile (a newer version): that edit is still owed.
func (s *Store) EditDone(ctx context.Context, deliveryID, version int64) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM alert_edits WHERE delivery_id = ? AND version = ?`, deliveryID, version); err != nil {
		return fmt.Errorf("record edit of delivery %d: %w", deliveryID, err)
	}
	return nil
}

// EditRetry counts a failed edit and schedules the next try, unless a newer
// request came in meanwhile (it is due already).
func (s *Store) EditRetry(ctx context.Context, deliveryID, version int64, next time.Time, reason string) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE alert_edits SET attempts = attempts + 1, next_attempt = ?, last_error = ?
		WHERE delivery_id = ? AND version = ?`, sinceArg(next), reason, deliveryID, version); err != nil {
		return fmt.Errorf("schedule retry of the edit of delivery %d: %w", deliveryID, err)
	}
	return nil
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
