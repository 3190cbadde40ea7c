package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// The web view's reads. Each is bounded (a limit, an id range) and walks an
// index, so that a page costs the same in a store of a million items; the
// SQL is standard (? placeholders, integer nanosecond times), for any
// driver.

// The web view's SQL, named so that a test can check each query's plan.
const (
	alertTopicsSQL = `SELECT m.alert_id, m.topic, a.created_at
		FROM alerts a JOIN alert_matches m ON m.alert_id = a.id
		WHERE m.alert_id > ? AND a.created_at >= ?
		ORDER BY m.alert_id, m.seq LIMIT ?`
	windowFirstSQL = `SELECT min(id + 0) FROM alerts WHERE created_at >= ?` // + 0: through created_at, not the ids from the first
	recentAllSQL   = `SELECT id FROM alerts
			WHERE id < ? AND kind NOT IN ('summary', 'notice', 'digest')
			ORDER BY id DESC LIMIT ?`
	recentTopicSQL = `SELECT DISTINCT alert_id FROM alert_matches
			WHERE topic = ? AND alert_id < ? ORDER BY alert_id DESC LIMIT ?`
	periodIDsSQL = `SELECT min(id), max(id) FROM alerts WHERE created_at >= ? AND created_at < ?`
	periodAllSQL = `SELECT id FROM alerts
				WHERE id BETWEEN ? AND ? AND +created_at >= ? AND +created_at < ? AND kind NOT IN ('summary', 'notice', 'digest')
				ORDER BY id DESC LIMIT ?`
	periodTopicSQL = `SELECT DISTINCT m.alert_id FROM alert_matches m JOIN alerts a ON a.id = m.alert_id
				WHERE m.topic = ? AND m.alert_id BETWEEN ? AND ? AND +a.created_at >= ? AND +a.created_at < ?
				ORDER BY m.alert_id DESC LIMIT ?`
	updatesSQL         = `SELECT id FROM alerts WHERE parent_id = ? ORDER BY id LIMIT ?`
	newestDocumentsSQL = `SELECT ` + docColumns + ` FROM items WHERE document IS NOT NULL
		ORDER BY last_seen DESC, id DESC LIMIT ?`
	documentsSinceSQL = `SELECT ` + docColumns + ` FROM items WHERE document IS NOT NULL
		AND last_seen >= ? AND (last_seen > ? OR id > ?)
		ORDER BY last_seen, id LIMIT ?`
)

// maxWebPage bounds the rows of one web read.
const maxWebPage = 10000

// NewestAlertID is the id of the newest alert, 0 when there is none. The
// web view keys its caches on it: alerts are never rewritten in a way that
// changes what the timeline counts, only added.
func (s *Store) NewestAlertID(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT max(id) FROM alerts`).Scan(&id); err != nil {
		return 0, fmt.Errorf("find the newest alert: %w", err)
	}
	return id.Int64, nil
}

// AlertTopics lists the topics of the alerts after afterID (0: from the
// first) made at or after since, in id order, at most limit rows (capped at 10,000): the
// timeline reads them once and then only the alerts added since.
func (s *Store) AlertTopics(ctx context.Context, afterID int64, since time.Time, limit int) ([]model.AlertTopic, error) {
	limit = boundLimit(limit, maxWebPage, maxWebPage)
	// From the start (afterID 0), the walk begins at the window's first
	// alert: a year's window in a store of two years would otherwise step
	// over every older alert. Finding it reads the window's stretch of the
	// created_at index, so later calls, which start near the newest alert,
	// skip it.
	if afterID <= 0 {
		var first sql.NullInt64
		if err := s.r.QueryRowContext(ctx, windowFirstSQL, sinceArg(since)).Scan(&first); err != nil {
			return nil, fmt.Errorf("list alert topics since %s: %w", since.Format(time.DateOnly), err)
		}
		if !first.Valid {
			return nil, nil
		}
		afterID = first.Int64 - 1
	}
	// Ordered as alert_matches' primary key, so the walk needs no sort and
	// stops after limit rows.
	rows, err := s.r.QueryContext(ctx, alertTopicsSQL, afterID, sinceArg(since), limit)
	if err != nil {
		return nil, fmt.Errorf("list alert topics after alert %d: %w", afterID, err)
	}
	defer rows.Close()
	var out []model.AlertTopic
	for rows.Next() {
		var (
			t  model.AlertTopic
			at int64
		)
		if err := rows.Scan(&t.AlertID, &t.Topic, &at); err != nil {
			return nil, fmt.Errorf("list alert topics: %w", err)
		}
		t.At = time.Unix(0, at).UTC()
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list alert topics: %w", err)
	}
	return out, nil
}

// PeriodAlerts lists the alerts made in [from, to) on topic (every topic
// when ""; from zero: the newest alerts, to unused), newest first, with ids below beforeID (0: from the newest), at
// most limit (capped at 50). Summaries, notices and digests are not listed.
func (s *Store) PeriodAlerts(ctx context.Context, topic string, from, to time.Time, beforeID int64, limit int) ([]model.Alert, error) {
	limit = boundLimit(limit, maxList, maxList)
	if beforeID <= 0 {
		beforeID = math.MaxInt64
	}
	var (
		rows *sql.Rows
		err  error
	)
	switch {
	case from.IsZero() && topic == "":
		// The newest alerts: walk the ids down from beforeID, as
		// RecentAlerts does, and stop after limit rows.
		rows, err = s.r.QueryContext(ctx, recentAllSQL, beforeID, limit)
	case from.IsZero():
		rows, err = s.r.QueryContext(ctx, recentTopicSQL, topic, beforeID, limit)
	default:
		// The period's alerts lie between its first and last ids (found
		// through the created_at index, in as many steps as the period has
		// alerts), so the list walks only that stretch of ids, not every
		// newer alert of the topic. The unary + keeps the planner from
		// walking created_at instead, which would need a sort.
		var lo, hi sql.NullInt64
		if err := s.r.QueryRowContext(ctx, periodIDsSQL,
			sinceArg(from), sinceArg(to)).Scan(&lo, &hi); err != nil {
			return nil, fmt.Errorf("list alerts %s from %s: %w", topicLabel(topic), from.Format(time.DateOnly), err)
		}
		if !lo.Valid {
			return nil, nil
		}
		hi.Int64 = min(hi.Int64, beforeID-1)
		if topic == "" {
			rows, err = s.r.QueryContext(ctx, periodAllSQL, lo.Int64, hi.Int64, sinceArg(from), sinceArg(to), limit)
		} else {
			rows, err = s.r.QueryContext(ctx, periodTopicSQL, topic, lo.Int64, hi.Int64, sinceArg(from), sinceArg(to), limit)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("list alerts %s from %s: %w", topicLabel(topic), from.Format(time.DateOnly), err)
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("list alerts %s from %s: %w", topicLabel(topic), from.Format(time.DateOnly), err)
	}
	alerts, err := loadAlerts(ctx, s.r, ids)
	if err != nil {
		return nil, fmt.Errorf("list alerts %s from %s: %w", topicLabel(topic), from.Format(time.DateOnly), err)
	}
	return alerts, nil
}

// AlertUpdates lists the updates of an alert, oldest first, at most limit
// (capped at 50).
func (s *Store) AlertUpdates(ctx context.Context, id int64, limit int) ([]model.Alert, error) {
	limit = boundLimit(limit, maxList, maxList)
	rows, err := s.r.QueryContext(ctx, updatesSQL, id, limit)
	if err != nil {
		return nil, fmt.Errorf("list the updates of alert %d: %w", id, err)
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("list the updates of alert %d: %w", id, err)
	}
	alerts, err := loadAlerts(ctx, s.r, ids)
	if err != nil {
		return nil, fmt.Errorf("list the updates of alert %d: %w", id, err)
	}
	return alerts, nil
}

// docColumns are an item's columns without its text, which a list of
// documents does not show.
const docColumns = `source_id, item_id, title, link, published, updated, authors, categories, document, last_seen, id, coalesce(last_alert_id, first_alert_id, 0)`

// NewestDocuments lists the items that are ITU documents, most recently
// stored or revised first, at most limit (capped at 10,000).
func (s *Store) NewestDocuments(ctx context.Context, limit int) ([]model.DocumentItem, error) {
	limit = boundLimit(limit, maxWebPage, maxWebPage)
	docs, err := s.documents(ctx, newestDocumentsSQL, limit)
	if err != nil {
		return nil, fmt.Errorf("list the newest documents: %w", err)
	}
	return docs, nil
}

// DocumentsSince lists the items that are ITU documents stored or revised
// after the given (last seen, row id) position, in that order, at most
// limit (capped at 10,000): what changed since a previous read.
func (s *Store) DocumentsSince(ctx context.Context, seen time.Time, rowID int64, limit int) ([]model.DocumentItem, error) {
	limit = boundLimit(limit, maxWebPage, maxWebPage)
	// (a, b) > (x, y) written out, row values not being in every SQL
	// dialect alike; the plain >= is what the index seeks on.
	docs, err := s.documents(ctx, documentsSinceSQL, sinceArg(seen), sinceArg(seen), rowID, limit)
	if err != nil {
		return nil, fmt.Errorf("list documents stored since %s: %w", seen.Format(time.RFC3339), err)
	}
	return docs, nil
}

func (s *Store) documents(ctx context.Context, query string, args ...any) ([]model.DocumentItem, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []model.DocumentItem
	err = func() error {
		defer rows.Close()
		for rows.Next() {
			var (
				d                           model.DocumentItem
				published, updated          sql.NullInt64
				authors, categories, docRef sql.NullString
				seen                        int64
			)
			if err := rows.Scan(&d.Item.SourceID, &d.Item.ID, &d.Item.Title, &d.Item.Link, &published, &updated,
				&authors, &categories, &docRef, &seen, &d.RowID, &d.AlertID); err != nil {
				return err
			}
			d.Item.Published, d.Item.Updated = timeFrom(published), timeFrom(updated)
			d.LastSeen = time.Unix(0, seen).UTC()
			if err := unmarshalNull(authors, &d.Item.Authors); err != nil {
				return err
			}
			if err := unmarshalNull(categories, &d.Item.Categories); err != nil {
				return err
			}
			d.Item.Document = new(model.DocumentRef)
			if err := unmarshalNull(docRef, d.Item.Document); err != nil {
				return fmt.Errorf("document of %s/%s: %w", d.Item.SourceID, d.Item.ID, err)
			}
			out = append(out, d)
		}
		return rows.Err()
	}()
	if err != nil || len(out) == 0 {
		return out, err
	}
	// The topics of each document's alert, in one query per page.
	byAlert := map[int64][]int{}
	var ids []int64
	for i, d := range out {
		if d.AlertID == 0 {
			continue
		}
		if _, ok := byAlert[d.AlertID]; !ok {
			ids = append(ids, d.AlertID)
		}
		byAlert[d.AlertID] = append(byAlert[d.AlertID], i)
	}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		in, args := inList(chunk)
		rows, err := s.r.QueryContext(ctx, `SELECT alert_id, topic FROM alert_matches WHERE alert_id IN (`+in+`) ORDER BY alert_id, seq`, args...)
		if err != nil {
			return nil, err
		}
		err = func() error {
			defer rows.Close()
			for rows.Next() {
				var (
					id    int64
					topic string
				)
				if err := rows.Scan(&id, &topic); err != nil {
					return err
				}
				for _, i := range byAlert[id] {
					out[i].Topics = append(out[i].Topics, topic)
				}
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
