package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// Mutes, snoozes and follows (migration 0009). A muted alert is stored
// with a 'muted' delivery (insertMuted); a snoozed update with a 'snoozed'
// one (saveOne); both are never sent. Ending a mute or a snooze queues its
// message in the same transaction that ends it, so each is sent once.

func insertMuted(ctx context.Context, tx *sql.Tx, alertID int64, dests []string, now time.Time) error {
	for _, dest := range dests {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (alert_id, destination, status, created_at)
			VALUES (?, ?, 'muted', ?) ON CONFLICT DO NOTHING`, alertID, dest, now.UnixNano()); err != nil {
			return fmt.Errorf("record muted delivery to %q: %w", dest, err)
		}
	}
	return nil
}

// AddMute mutes m.Kind m.Value in m.Destination. A mute of the same thing
// that is still on is replaced: its end and reason are the new ones.
func (s *Store) AddMute(ctx context.Context, m model.Mute) (model.Mute, error) {
	if m.Destination == "" || m.Value == "" {
		return m, fmt.Errorf("mute %q in %q: both a destination and what to mute are needed", m.Value, m.Destination)
	}
	m.CreatedAt = storedTime(s.now())
	err := s.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE mutes SET ended_at = ? WHERE destination = ? AND kind = ? AND value = ? AND ended_at IS NULL`,
			m.CreatedAt.UnixNano(), m.Destination, string(m.Kind), m.Value); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO mutes (destination, kind, value, reason, created_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			m.Destination, string(m.Kind), m.Value, m.Reason, m.CreatedBy, m.CreatedAt.UnixNano(), timeArg(m.ExpiresAt)).Scan(&m.ID)
	})
	if err != nil {
		return m, fmt.Errorf("mute %s %s in %s: %w", m.Kind, m.Value, m.Destination, err)
	}
	return m, nil
}

// EndMute ends the mute of kind and value in destination now, without a
// notice (whoever unmutes sees the reply); ended is false when none was on.
func (s *Store) EndMute(ctx context.Context, destination string, kind model.MuteKind, value string) (ended bool, err error) {
	res, err := s.w.ExecContext(ctx, `UPDATE mutes SET ended_at = ? WHERE destination = ? AND kind = ? AND value = ? AND ended_at IS NULL`,
		s.now().UnixNano(), destination, string(kind), value)
	if err != nil {
		return false, fmt.Errorf("unmute %s %s in %s: %w", kind, value, destination, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("unmute %s %s in %s: %w", kind, value, destination, err)
	}
	return n > 0, nil
}

// Mutes lists the mutes still on at now, of one destination or, for "",
// of all, oldest first.
func (s *Store) Mutes(ctx context.Context, destination string, now time.Time) ([]model.Mute, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, destination, kind, value, reason, created_by, created_at, expires_at FROM mutes
		WHERE ended_at IS NULL AND (expires_at IS NULL OR expires_at > ?) AND (? = '' OR destination = ?)
		ORDER BY id`, now.UnixNano(), destination, destination)
	if err != nil {
		return nil, fmt.Errorf("list mutes: %w", err)
	}
	defer rows.Close()
	var out []model.Mute
	for rows.Next() {
		var (
			m                model.Mute
			kind             string
			created, expires sql.NullInt64
		)
		if err := rows.Scan(&m.ID, &m.Destination, &kind, &m.Value, &m.Reason, &m.CreatedBy, &created, &expires); err != nil {
			return nil, fmt.Errorf("list mutes: %w", err)
		}
		m.Kind = model.MuteKind(kind)
		m.CreatedAt, m.ExpiresAt = timeFrom(created), timeFrom(expires)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list mutes: %w", err)
	}
	return out, nil
}

// noticeSource is the source id of ituwatch's own notices.
const noticeSource = "ituwatch"

// EndMutes ends the mutes whose time ran out by now and queues, for each,
// one notice to its destination, in the transaction that ends it: the
// notice is sent once, however often this runs or crashes. It returns how
// many notices it queued.
func (s *Store) EndMutes(ctx context.Context, now time.Time, notice func(model.Mute) string) (int, error) {
	ended, err := s.expiredMutes(ctx, now)
	if err != nil || len(ended) == 0 {
		return 0, err
	}
	n := 0
	for _, m := range ended {
		queued, err := s.endAndQueue(ctx,
			`UPDATE mutes SET ended_at = ? WHERE id = ? AND ended_at IS NULL`, []any{m.ExpiresAt.UnixNano(), m.ID},
			func(ctx context.Context, tx *sql.Tx) (bool, error) {
				it := model.Item{SourceID: noticeSource, ID: fmt.Sprintf("notice/mute/%d", m.ID), Title: notice(m), Published: m.ExpiresAt}
				return true, queueNotice(ctx, tx, &it, m.Destination, now)
			})
		if queued {
			n++
		}
		if err != nil {
			return n, fmt.Errorf("end mute %d of %s: %w", m.ID, m.Destination, err)
		}
	}
	return n, nil
}

func (s *Store) expiredMutes(ctx context.Context, now time.Time) ([]model.Mute, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, destination, kind, value, reason, expires_at FROM mutes
		WHERE ended_at IS NULL AND expires_at <= ? ORDER BY id LIMIT 100`, now.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("find mutes that ended: %w", err)
	}
	defer rows.Close()
	var out []model.Mute
	for rows.Next() {
		var (
			m       model.Mute
			kind    string
			expires sql.NullInt64
		)
		if err := rows.Scan(&m.ID, &m.Destination, &kind, &m.Value, &m.Reason, &expires); err != nil {
			return nil, fmt.Errorf("find mutes that ended: %w", err)
		}
		m.Kind, m.ExpiresAt = model.MuteKind(kind), timeFrom(expires)
		out = append(out, m)
	}
	return out, rows.Err()
}

// queueNotice stores it as ituwatch's own item with a notice alert and
// one pending delivery to dest. The item is stored because an alert
// names one; its source "ituwatch" says whose words they are.
func queueNotice(ctx context.Context, tx *sql.Tx, it *model.Item, dest string, now time.Time) error {
	rowID, err := upsertItem(ctx, tx, it, it.Fingerprint(), 0, now)
	if err != nil {
		return err
	}
	alertID, err := insertAlert(ctx, tx, rowID, &model.Alert{Kind: model.AlertNotice, Item: *it}, *it, now)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO deliveries (alert_id, destination, status, next_attempt, created_at)
		VALUES (?, ?, 'pending', ?, ?)`, alertID, dest, now.UnixNano(), now.UnixNano())
	return err
}

// Snooze holds the updates of alertID from destination until until,
// replacing an earlier snooze of the same alert there.
func (s *Store) Snooze(ctx context.Context, sn model.Snooze) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO snoozes (alert_id, destination, until, created_by, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (alert_id, destination) DO UPDATE SET until = excluded.until, created_by = excluded.created_by`,
		sn.AlertID, sn.Destination, sn.Until.UnixNano(), sn.CreatedBy, s.now().UnixNano())
	if err != nil {
		if isForeignKeyError(err) {
			return fmt.Errorf("snooze alert %d in %s: %w", sn.AlertID, sn.Destination, model.ErrNotFound)
		}
		return fmt.Errorf("snooze alert %d in %s: %w", sn.AlertID, sn.Destination, err)
	}
	return nil
}

// maxSnoozedChanges bounds the changes one summing-up update lists.
const maxSnoozedChanges = 5

// EndSnoozes ends the snoozes whose time ran out by now. For each snooze
// that held updates back, one update alert is queued to its destination,
// threaded under the snoozed alert: the latest version of the item, its
// matches, and a change that lists what the held updates said. The
// snooze is deleted in the same transaction, so the update goes out once.
// It returns how many updates it queued.
func (s *Store) EndSnoozes(ctx context.Context, now time.Time) (int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT alert_id, destination FROM snoozes WHERE until <= ? ORDER BY until LIMIT 100`, now.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("find snoozes that ended: %w", err)
	}
	type key struct {
		alert int64
		dest  string
	}
	var due []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.alert, &k.dest); err != nil {
			rows.Close()
			return 0, fmt.Errorf("find snoozes that ended: %w", err)
		}
		due = append(due, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("find snoozes that ended: %w", err)
	}
	n := 0
	for _, k := range due {
		queued, err := s.endAndQueue(ctx,
			`DELETE FROM snoozes WHERE alert_id = ? AND destination = ? AND until <= ?`, []any{k.alert, k.dest, now.UnixNano()},
			func(ctx context.Context, tx *sql.Tx) (bool, error) {
				return queueSnoozeSummary(ctx, tx, k.alert, k.dest, now)
			})
		if queued {
			n++
		}
		if err != nil {
			return n, fmt.Errorf("end snooze of alert %d in %s: %w", k.alert, k.dest, err)
		}
	}
	return n, nil
}

// endAndQueue ends one mute or snooze and queues its message in the same
// transaction, so the message is sent once however often this runs or
// crashes. end is the UPDATE or DELETE that ends it; when it touches no row
// (another process ended it first, or a snooze was extended meanwhile)
// nothing is queued. It reports whether a message was queued.
func (s *Store) endAndQueue(ctx context.Context, end string, args []any, queue func(context.Context, *sql.Tx) (bool, error)) (bool, error) {
	queued := false
	err := s.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		queued = false
		res, err := tx.ExecContext(ctx, end, args...)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil || k == 0 {
			return err
		}
		queued, err = queue(ctx, tx)
		return err
	})
	return queued && err == nil, err
}

func queueSnoozeSummary(ctx context.Context, tx *sql.Tx, parent int64, dest string, now time.Time) (bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT a.id, a.item_rowid, a.change, a.item FROM deliveries d JOIN alerts a ON a.id = d.alert_id
		WHERE d.destination = ? AND d.status = 'snoozed' AND d.last_error = '' AND a.parent_id = ? ORDER BY a.id`, dest, parent)
	if err != nil {
		return false, err
	}
	var (
		changes      []string
		lastID, item int64
		itemJSON     string
		count        int
	)
	for rows.Next() {
		var change string
		if err := rows.Scan(&lastID, &item, &change, &itemJSON); err != nil {
			rows.Close()
			return false, err
		}
		count++
		if change != "" && !containsString(changes, change) {
			changes = append(changes, change)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	if count == 0 {
		return false, nil
	}
	// Marked as summed up, so that a later snooze of the same alert sums
	// up only its own.
	if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET last_error = 'summed up when the snooze ended'
		WHERE destination = ? AND status = 'snoozed' AND last_error = '' AND alert_id IN (SELECT id FROM alerts WHERE parent_id = ?)`, dest, parent); err != nil {
		return false, err
	}
	var it model.Item
	if err := json.Unmarshal([]byte(itemJSON), &it); err != nil {
		return false, fmt.Errorf("read the item of alert %d: %w", lastID, err)
	}
	if len(changes) > maxSnoozedChanges {
		changes = append(changes[:maxSnoozedChanges], fmt.Sprintf("and %d more", len(changes)-maxSnoozedChanges))
	}
	change := fmt.Sprintf("%d updates while snoozed", count)
	if count == 1 {
		change = "1 update while snoozed"
	}
	if len(changes) > 0 {
		change += ": " + strings.Join(changes, "; ")
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO alerts (item_rowid, kind, parent_id, change, item, created_at, max_severity)
		SELECT item_rowid, 'update', ?, ?, item, ?, max_severity FROM alerts WHERE id = ? RETURNING id`,
		parent, change, now.UnixNano(), lastID).Scan(&id); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO alert_matches (alert_id, seq, topic, topic_name, severity, score, annotation, hits, snippets)
		SELECT ?, seq, topic, topic_name, severity, score, annotation, hits, snippets FROM alert_matches WHERE alert_id = ?`, id, lastID); err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO deliveries (alert_id, destination, status, next_attempt, created_at)
		VALUES (?, ?, 'pending', ?, ?)`, id, dest, now.UnixNano(), now.UnixNano())
	return err == nil, err
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// AddFollow records a person's follow; added is false when they already
// had it.
func (s *Store) AddFollow(ctx context.Context, f model.Follow) (added bool, err error) {
	if f.Destination == "" || f.Value == "" {
		return false, fmt.Errorf("follow %q for %q: both a person and what to follow are needed", f.Value, f.Destination)
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO follows (destination, kind, value, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		f.Destination, string(f.Kind), f.Value, s.now().UnixNano())
	if err != nil {
		return false, fmt.Errorf("follow %s %s for %s: %w", f.Kind, f.Value, f.Destination, err)
	}
	k, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("follow %s %s for %s: %w", f.Kind, f.Value, f.Destination, err)
	}
	return k > 0, nil
}

// RemoveFollow removes a follow; removed is false when there was none.
func (s *Store) RemoveFollow(ctx context.Context, destination string, kind model.FollowKind, value string) (removed bool, err error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM follows WHERE destination = ? AND kind = ? AND value = ?`, destination, string(kind), value)
	if err != nil {
		return false, fmt.Errorf("unfollow %s %s for %s: %w", kind, value, destination, err)
	}
	k, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("unfollow %s %s for %s: %w", kind, value, destination, err)
	}
	return k > 0, nil
}

// Follows lists the follows of one destination or, for "", of everyone,
// oldest first.
func (s *Store) Follows(ctx context.Context, destination string) ([]model.Follow, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, destination, kind, value, created_at FROM follows
		WHERE ? = '' OR destination = ? ORDER BY id`, destination, destination)
	if err != nil {
		return nil, fmt.Errorf("list follows: %w", err)
	}
	defer rows.Close()
	var out []model.Follow
	for rows.Next() {
		var (
			f       model.Follow
			kind    string
			created sql.NullInt64
		)
		if err := rows.Scan(&f.ID, &f.Destination, &kind, &f.Value, &created); err != nil {
			return nil, fmt.Errorf("list follows: %w", err)
		}
		f.Kind, f.CreatedAt = model.FollowKind(kind), timeFrom(created)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list follows: %w", err)
	}
	return out, nil
}

// DeliveryCounts counts the deliveries of destination by status, for
// alerts created in [since, until): how many were muted, for instance.
func (s *Store) DeliveryCounts(ctx context.Context, destination string, since, until time.Time) (map[model.DeliveryStatus]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT status, count(*) FROM deliveries
		WHERE destination = ? AND created_at >= ? AND created_at < ? GROUP BY status`,
		destination, sinceArg(since), sinceArg(until))
	if err != nil {
		return nil, fmt.Errorf("count deliveries to %s: %w", destination, err)
	}
	defer rows.Close()
	out := map[model.DeliveryStatus]int{}
	for rows.Next() {
		var (
			st string
			n  int
		)
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count deliveries to %s: %w", destination, err)
		}
		out[model.DeliveryStatus(st)] = n
	}
	return out, rows.Err()
}
