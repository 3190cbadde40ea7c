package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// AllTopics is the topic a destination subscribes to for every topic.
const AllTopics = "*"

// Subscribe subscribes destination (a model.Destination string such as
// "slack:C0123") to topic; added is false when it already was.
func (s *Store) Subscribe(ctx context.Context, destination, topic string) (added bool, err error) {
	if destination == "" || topic == "" {
		return false, fmt.Errorf("subscribe %q to %q: both a destination and a topic are needed", destination, topic)
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO subscriptions (destination, topic, created_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, destination, topic, s.now().UnixNano())
	if err != nil {
		return false, fmt.Errorf("subscribe %s to %s: %w", destination, topic, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("subscribe %s to %s: %w", destination, topic, err)
	}
	return n > 0, nil
}

// Unsubscribe removes a subscription; removed is false when there was none.
func (s *Store) Unsubscribe(ctx context.Context, destination, topic string) (removed bool, err error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM subscriptions WHERE destination = ? AND topic = ?`, destination, topic)
	if err != nil {
		return false, fmt.Errorf("unsubscribe %s from %s: %w", destination, topic, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("unsubscribe %s from %s: %w", destination, topic, err)
	}
	return n > 0, nil
}

// Subscriptions lists the topics destination is subscribed to, sorted.
func (s *Store) Subscriptions(ctx context.Context, destination string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT topic FROM subscriptions WHERE destination = ? ORDER BY topic`, destination)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions of %s: %w", destination, err)
	}
	out, err := scanStrings(rows)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions of %s: %w", destination, err)
	}
	return out, nil
}

// Subscribers lists the destinations subscribed to topic or to every topic,
// sorted and without duplicates.
func (s *Store) Subscribers(ctx context.Context, topic string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT destination FROM subscriptions
		WHERE topic IN (?, ?) ORDER BY destination`, topic, AllTopics)
	if err != nil {
		return nil, fmt.Errorf("list subscribers of %s: %w", topic, err)
	}
	out, err := scanStrings(rows)
	if err != nil {
		return nil, fmt.Errorf("list subscribers of %s: %w", topic, err)
	}
	return out, nil
}

func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// GetState returns the value stored under key by a chat adapter.
func (s *Store) GetState(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM kv WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read state %s: %w", key, err)
	}
	return v, true, nil
}

// SetState stores value under key, replacing any earlier value.
func (s *Store) SetState(ctx context.Context, key, value string) error {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO kv (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("save state %s: %w", key, err)
	}
	return nil
}
