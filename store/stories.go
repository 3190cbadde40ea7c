package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// StoryCandidates lists every item filed under a first alert (not an
// update) created since a time: the alert's own item and the other reports
// that joined it, newest alert first, at most limit. Comparing with all of
// them makes clustering independent of which outlet was polled first. An
// alert the per-poll limit kept from every destination is left out: no one
// saw it, so a later report must alert rather than join it.
func (s *Store) StoryCandidates(ctx context.Context, since time.Time, limit int) ([]model.StoryCandidate, error) {
	if limit <= 0 || limit > 5000 {
		limit = 5000
	}
	rows, err := s.r.QueryContext(ctx, `SELECT a.id, i.source_id, i.link, i.title,
			i.document IS NOT NULL, a.created_at
		FROM alerts a JOIN items i ON i.first_alert_id = a.id
		WHERE a.created_at >= ? AND a.kind = 'new'
			AND (a.held_from IS NULL OR EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = a.id))
			-- An alert raised for people's follows alone went to no channel:
			-- later reports must not join it (migration 0009).
			AND EXISTS (SELECT 1 FROM alert_matches m WHERE m.alert_id = a.id AND m.topic <> 'follow')
		ORDER BY a.created_at DESC, i.id LIMIT ?`, storedTime(since).UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("list story candidates: %w", err)
	}
	defer rows.Close()
	var out []model.StoryCandidate
	for rows.Next() {
		var c model.StoryCandidate
		var created sql.NullInt64
		if err := rows.Scan(&c.AlertID, &c.SourceID, &c.Link, &c.Title, &c.HasDocument, &created); err != nil {
			return nil, fmt.Errorf("list story candidates: %w", err)
		}
		c.CreatedAt = timeFrom(created)
		out = append(out, c)
	}
	return out, rows.Err()
}

// joinStory completes the filing of an item of sourceID under an existing
// alert of the same story (the item's upsert made the alert its first, so
// its updates thread there): the source is added to the alert's "also
// reported by" unless it is the alert's own source.
func joinStory(ctx context.Context, tx *sql.Tx, pg bool, alertID int64, sourceID string) error {
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM alerts WHERE id = ?)`, alertID).Scan(&exists); err != nil || !exists {
		if err == nil {
			err = model.ErrNotFound
		}
		return fmt.Errorf("join story of alert %d: %w", alertID, err)
	}
	// Appended in SQL: a story picked up by hundreds of feeds would
	// otherwise have its whole list decoded and encoded at every report.
	// The alert's own source is its item's.
	if _, err := tx.ExecContext(ctx, joinStorySQL[pg], sourceID, alertID); err != nil {
		return fmt.Errorf("also-reported-by of alert %d: %w", alertID, err)
	}
	return nil
}

// joinStorySQL[pg] appends ?1 to alert ?2's also_reported_by, a JSON list
// kept as text on both stores.
var joinStorySQL = map[bool]string{
	false: `UPDATE alerts SET also_reported_by = json_insert(coalesce(also_reported_by, '[]'), '$[#]', ?1)
		WHERE id = ?2
			AND ?1 <> (SELECT source_id FROM items WHERE id = alerts.item_rowid)
			AND NOT EXISTS (SELECT 1 FROM json_each(alerts.also_reported_by) WHERE value = ?1)`,
	true: `UPDATE alerts SET also_reported_by = CAST(CAST(coalesce(also_reported_by, '[]') AS jsonb) || to_jsonb(CAST(?1 AS text)) AS text)
		WHERE id = ?2
			AND CAST(?1 AS text) <> (SELECT source_id FROM items WHERE id = alerts.item_rowid)
			AND NOT EXISTS (SELECT 1 FROM json_array_elements_text(CAST(alerts.also_reported_by AS json)) AS e (value) WHERE e.value = CAST(?1 AS text))`,
}
