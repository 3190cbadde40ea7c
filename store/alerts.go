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

// maxList bounds every list a chat command can ask for, so that no command
// can make the store (or a chat message) arbitrarily large.
const maxList = 50

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Alert returns one alert with its item and matches, or model.ErrNotFound.
func (s *Store) Alert(ctx context.Context, id int64) (model.Alert, error) {
	alerts, err := loadAlerts(ctx, s.r, []int64{id})
	if err != nil {
		return model.Alert{}, fmt.Errorf("load alert %d: %w", id, err)
	}
	if len(alerts) == 0 {
		return model.Alert{}, fmt.Errorf("alert %d: %w", id, model.ErrNotFound)
	}
	return alerts[0], nil
}

// RecentAlerts returns the newest alerts first, all topics when topic is
// empty. limit is capped at 50. Summaries of held alerts are not listed:
// the alerts they stand for are.
func (s *Store) RecentAlerts(ctx context.Context, topic string, limit int) ([]model.Alert, error) {
	limit = boundLimit(limit, 10, maxList)
	// Alert ids grow with creation time, so id order is newest-first order and
	// both queries walk an index backwards and stop after limit rows.
	var (
		rows *sql.Rows
		err  error
	)
	if topic == "" {
		rows, err = s.r.QueryContext(ctx, `SELECT id FROM alerts WHERE kind NOT IN ('summary', 'notice', 'digest') ORDER BY id DESC LIMIT ?`, limit)
	} else {
		rows, err = s.r.QueryContext(ctx, `SELECT DISTINCT alert_id FROM alert_matches
			WHERE topic = ? ORDER BY alert_id DESC LIMIT ?`, topic, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("list recent alerts %s: %w", topicLabel(topic), err)
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("list recent alerts %s: %w", topicLabel(topic), err)
	}
	alerts, err := loadAlerts(ctx, s.r, ids)
	if err != nil {
		return nil, fmt.Errorf("list recent alerts %s: %w", topicLabel(topic), err)
	}
	return alerts, nil
}

func topicLabel(topic string) string {
	if topic == "" {
		return "on all topics"
	}
	return "on " + topic
}

func scanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// loadAlerts reads the alerts with the given ids, in the order of ids,
// skipping ids that do not exist.
func loadAlerts(ctx context.Context, q querier, ids []int64) ([]model.Alert, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	in, args := inList(ids)
	rows, err := q.QueryContext(ctx, `SELECT id, kind, coalesce(parent_id, 0), change, item, also_reported_by, created_at, held, held_from, digest, diff
		FROM alerts WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*model.Alert, len(ids))
	err = func() error {
		defer rows.Close()
		for rows.Next() {
			var (
				a       model.Alert
				kind    string
				itemRaw string
				also    sql.NullString
				created sql.NullInt64
				held    sql.NullString
				from    sql.NullString
				digest  sql.NullString
				diff    sql.NullString
			)
			if err := rows.Scan(&a.ID, &kind, &a.ParentID, &a.Change, &itemRaw, &also, &created, &held, &from, &digest, &diff); err != nil {
				return err
			}
			a.Kind = model.AlertKind(kind)
			a.CreatedAt = timeFrom(created)
			if err := json.Unmarshal([]byte(itemRaw), &a.Item); err != nil {
				return fmt.Errorf("item of alert %d: %w", a.ID, err)
			}
			a.Item.Published = utc(a.Item.Published)
			a.Item.Updated = utc(a.Item.Updated)
			if err := unmarshalNull(also, &a.AlsoReportedBy); err != nil {
				return fmt.Errorf("also-reported-by of alert %d: %w", a.ID, err)
			}
			if err := unmarshalNull(from, &a.HeldFrom); err != nil {
				return fmt.Errorf("held-from of alert %d: %w", a.ID, err)
			}
			if diff.Valid {
				a.Diff = new(model.TextDiff)
				if err := json.Unmarshal([]byte(diff.String), a.Diff); err != nil {
					return fmt.Errorf("text diff of alert %d: %w", a.ID, err)
				}
			}
			if held.Valid {
				a.Held = new(model.HeldAlerts)
				if err := json.Unmarshal([]byte(held.String), a.Held); err != nil {
					return fmt.Errorf("held alerts of summary %d: %w", a.ID, err)
				}
			}
			if digest.Valid {
				a.Digest = new(model.Digest)
				if err := json.Unmarshal([]byte(digest.String), a.Digest); err != nil {
					return fmt.Errorf("page of digest %d: %w", a.ID, err)
				}
			}
			byID[a.ID] = &a
		}
		return rows.Err()
	}()
	if err != nil {
		return nil, err
	}

	rows, err = q.QueryContext(ctx, `SELECT alert_id, topic, topic_name, severity, score, annotation, hits, snippets
		FROM alert_matches WHERE alert_id IN (`+in+`) ORDER BY alert_id, seq`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			alertID        int64
			m              model.Match
			sev            int
			hits, snippets sql.NullString
		)
		if err := rows.Scan(&alertID, &m.Topic, &m.TopicName, &sev, &m.Score, &m.Annotation, &hits, &snippets); err != nil {
			return nil, err
		}
		m.Severity = model.Severity(sev)
		if err := unmarshalNull(hits, &m.Hits); err != nil {
			return nil, fmt.Errorf("hits of alert %d: %w", alertID, err)
		}
		if err := unmarshalNull(snippets, &m.Snippets); err != nil {
			return nil, fmt.Errorf("snippets of alert %d: %w", alertID, err)
		}
		if a := byID[alertID]; a != nil {
			a.Matches = append(a.Matches, m)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}

	out := make([]model.Alert, 0, len(ids))
	for _, id := range ids {
		if a := byID[id]; a != nil {
			out = append(out, *a)
		}
	}
	return out, nil
}

// utc drops the fixed zone JSON decoding gives, so snapshot times compare
// equal to item times read from columns.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

func inList(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return strings.TrimSuffix(strings.Repeat("?,", len(ids)), ","), args
}

// TopicCounts counts alerts per topic created since the given time.
func (s *Store) TopicCounts(ctx context.Context, since time.Time) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT m.topic, count(DISTINCT m.alert_id)
		FROM alerts a JOIN alert_matches m ON m.alert_id = a.id
		WHERE a.created_at >= ? GROUP BY m.topic`, sinceArg(since))
	if err != nil {
		return nil, fmt.Errorf("count alerts per topic since %s: %w", since.Format(time.DateOnly), err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			topic string
			n     int
		)
		if err := rows.Scan(&topic, &n); err != nil {
			return nil, fmt.Errorf("count alerts per topic: %w", err)
		}
		out[topic] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count alerts per topic: %w", err)
	}
	return out, nil
}
