package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

const deliveryColumns = `id, alert_id, destination, status, attempts, next_attempt, last_error, external_id, created_at, delivered_at, held_since`

func scanDelivery(sc scanner) (model.Delivery, error) {
	var (
		d                     model.Delivery
		status                string
		next, created, doneAt sql.NullInt64
		heldSince             sql.NullInt64
	)
	if err := sc.Scan(&d.ID, &d.AlertID, &d.Destination, &status, &d.Attempts, &next, &d.LastError, &d.ExternalID, &created, &doneAt, &heldSince); err != nil {
		return d, err
	}
	d.Status = model.DeliveryStatus(status)
	d.NextAttempt = timeFrom(next)
	d.CreatedAt = timeFrom(created)
	d.DeliveredAt = timeFrom(doneAt)
	d.HeldSince = timeFrom(heldSince)
	return d, nil
}

// DueDeliveries returns pending deliveries whose next attempt is due at now,
// oldest (lowest id) first.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]model.Delivery, error) {
	return s.listDeliveries(ctx, "list due deliveries: %w", `SELECT `+deliveryColumns+` FROM deliveries
		WHERE status = 'pending' AND next_attempt <= ? ORDER BY id LIMIT ?`, timeArg(now), boundLimit(limit, 100, 1000))
}

// PendingDeliveries returns every pending delivery, due or not (waiting for
// a retry, or held), oldest (lowest id) first: the dispatcher keeps each
// destination's order, so a due delivery waits behind an earlier one that
// is not due yet.
func (s *Store) PendingDeliveries(ctx context.Context, limit int) ([]model.Delivery, error) {
	return s.listDeliveries(ctx, "list pending deliveries: %w", `SELECT `+deliveryColumns+` FROM deliveries
		WHERE status = 'pending' ORDER BY id LIMIT ?`, boundLimit(limit, 100, 1000))
}

func (s *Store) listDeliveries(ctx context.Context, format, query string, args ...any) ([]model.Delivery, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf(format, err)
	}
	defer rows.Close()
	var out []model.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf(format, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf(format, err)
	}
	return out, nil
}

// NextDue returns the earliest next attempt among pending deliveries, and
// false when none is pending.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT min(next_attempt) FROM deliveries WHERE status = 'pending'`).Scan(&next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("find next due delivery: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return timeFrom(next), true, nil
}

// MarkDelivered records that the platform accepted the delivery under
// externalID (Slack ts, Matrix event id).
func (s *Store) MarkDelivered(ctx context.Context, deliveryID int64, externalID string, at time.Time) error {
	return s.updateDelivery(ctx, "mark delivery %d delivered: %w", deliveryID,
		`UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, external_id = ?, delivered_at = ?, next_attempt = NULL,
		claimed_by = NULL, claim_until = NULL
		WHERE id = ?`, externalID, timeArg(at), deliveryID)
}

// MarkRetry counts a failed attempt and schedules the next one.
func (s *Store) MarkRetry(ctx context.Context, deliveryID int64, next time.Time, reason string) error {
	return s.updateDelivery(ctx, "schedule retry of delivery %d: %w", deliveryID,
		`UPDATE deliveries SET attempts = attempts + 1, next_attempt = ?, last_error = ?,
		claimed_by = NULL, claim_until = NULL
		WHERE id = ? AND status = 'pending'`, timeArg(next), reason, deliveryID)
}

// MarkHeld records that the destination refused the delivery because the
// bot is not in the channel or room yet: the delivery stays pending, held
// since since, and is tried again at next. The refused attempt is not
// counted: it certainly posted nothing, and adapters read a later attempt
// number as "an earlier one may have reached the platform".
func (s *Store) MarkHeld(ctx context.Context, deliveryID int64, since, next time.Time, reason string) error {
	return s.updateDelivery(ctx, "hold delivery %d: %w", deliveryID,
		`UPDATE deliveries SET held_since = ?, next_attempt = ?, last_error = ?,
		claimed_by = NULL, claim_until = NULL
		WHERE id = ? AND status = 'pending'`, timeArg(since), timeArg(next), reason, deliveryID)
}

// MarkFailed counts a failed attempt and gives the delivery up for good.
func (s *Store) MarkFailed(ctx context.Context, deliveryID int64, reason string) error {
	return s.updateDelivery(ctx, "mark delivery %d failed: %w", deliveryID,
		`UPDATE deliveries SET status = 'failed', attempts = attempts + 1, next_attempt = NULL, last_error = ?,
		claimed_by = NULL, claim_until = NULL
		WHERE id = ? AND status = 'pending'`, reason, deliveryID)
}

// updateDelivery runs one update and reports model.ErrNotFound when it changed no
// row: the delivery does not exist or is no longer pending.
func (s *Store) updateDelivery(ctx context.Context, format string, id int64, query string, args ...any) error {
	res, err := s.w.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf(format, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf(format, id, err)
	}
	if n == 0 {
		return fmt.Errorf(format, id, errNotPending)
	}
	return nil
}

var errNotPending = fmt.Errorf("no pending delivery with that id: %w", model.ErrNotFound)

// ThreadID returns the external id under which alertID was delivered to
// destination, or "" if it was not (yet) delivered there.
func (s *Store) ThreadID(ctx context.Context, alertID int64, destination string) (string, error) {
	var ext string
	err := s.r.QueryRowContext(ctx, `SELECT external_id FROM deliveries
		WHERE alert_id = ? AND destination = ? AND status = 'delivered'`, alertID, destination).Scan(&ext)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find thread of alert %d at %s: %w", alertID, destination, err)
	}
	return ext, nil
}

// TopicsDelivered returns the topics of the alerts delivered to destination
// since the given time. Only alerts created from a day before since are
// looked at, so the query reads about two days of alerts through their
// index instead of the destination's whole history (5 ms instead of 200 ms
// for a year at 500 alerts a day); a delivery held back longer than that is
// not counted, which at worst repeats a paragraph once.
func (s *Store) TopicsDelivered(ctx context.Context, destination string, since time.Time) (map[string]bool, error) {
	// CROSS JOIN keeps SQLite's planner to this order: the recent alerts by
	// their created_at index, then each one's delivery by (alert_id,
	// destination). Left to itself it walks every delivery the destination
	// ever had (200 ms for a year of 500 alerts a day, before every send).
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT m.topic FROM alerts a
		`+s.orderedJoin()+` deliveries d ON d.alert_id = a.id AND d.destination = ?
		JOIN alert_matches m ON m.alert_id = a.id
		WHERE a.created_at >= ? AND d.status = 'delivered' AND d.delivered_at >= ?`,
		destination, sinceArg(since.AddDate(0, 0, -1)), sinceArg(since))
	if err != nil {
		return nil, fmt.Errorf("read the topics delivered to %s: %w", destination, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var topic string
		if err := rows.Scan(&topic); err != nil {
			return nil, fmt.Errorf("read the topics delivered to %s: %w", destination, err)
		}
		out[topic] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the topics delivered to %s: %w", destination, err)
	}
	return out, nil
}

// DestinationStatuses summarises the outbox per destination, sorted by
// destination. LastError is the newest error among deliveries that have not
// gone through, so a problem that was since fixed does not linger.
func (s *Store) DestinationStatuses(ctx context.Context) ([]model.DestinationStatus, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT d.destination,
			count(*) FILTER (WHERE d.status = 'pending'),
			count(*) FILTER (WHERE d.status = 'failed'),
			min(CASE WHEN d.status = 'pending' THEN d.created_at END),
			max(d.delivered_at),
			coalesce((SELECT e.last_error FROM deliveries e
				WHERE e.destination = d.destination AND e.status <> 'delivered' AND e.last_error <> ''
				ORDER BY e.id DESC LIMIT 1), ''),
			(SELECT h.held_since FROM deliveries h
				WHERE h.destination = d.destination AND h.status = 'pending' ORDER BY h.id LIMIT 1),
			coalesce((SELECT h.last_error FROM deliveries h
				WHERE h.destination = d.destination AND h.status = 'pending' AND h.held_since IS NOT NULL
				ORDER BY h.id LIMIT 1), '')
		FROM deliveries d GROUP BY d.destination ORDER BY d.destination`)
	if err != nil {
		return nil, fmt.Errorf("summarise deliveries: %w", err)
	}
	defer rows.Close()
	var out []model.DestinationStatus
	for rows.Next() {
		var (
			st                model.DestinationStatus
			oldest, delivered sql.NullInt64
			held              sql.NullInt64
		)
		if err := rows.Scan(&st.Destination, &st.Pending, &st.Failed, &oldest, &delivered, &st.LastError, &held, &st.HeldReason); err != nil {
			return nil, fmt.Errorf("summarise deliveries: %w", err)
		}
		st.OldestPending = timeFrom(oldest)
		st.LastDelivered = timeFrom(delivered)
		// Only the first pending delivery says whether the destination is
		// held; a hold that ended left held_since on delivered rows only.
		st.HeldSince = timeFrom(held)
		if st.HeldSince.IsZero() {
			st.HeldReason = ""
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("summarise deliveries: %w", err)
	}
	return out, nil
}
