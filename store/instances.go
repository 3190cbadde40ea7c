package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// Several `ituwatch run` processes may share one store (Postgres): each
// keeps a row in instances fresh, one of them leads (leader.go), and a
// delivery is sent by whoever holds its lease.

// exec runs one write statement through the store's writer and returns
// the rows it changed.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := s.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// RegisterInstance writes (or rewrites) this process's row; its last_seen

// HeartbeatEvery is how often each instance refreshes its row. On Postgres
// instances take over from each other, and a delivery the killed leader
// was sending waits until it counts as dead, so they beat often; SQLite
// has one instance, which beats rarely.
func (s *Store) HeartbeatEvery() time.Duration {
	if s.pg {
		return 2 * time.Second
	}
	return 10 * time.Second
}

// InstanceLiveFor is how long an instance counts as alive after its last
// heartbeat: three beats missed, and it is dead to the others (its
// delivery leases are free, status calls it silent).
func (s *Store) InstanceLiveFor() time.Duration { return 3*s.HeartbeatEvery() + time.Second }

// is in.LastSeen, or StartedAt if that is zero.
func (s *Store) RegisterInstance(ctx context.Context, in model.Instance) error {
	seen := in.LastSeen
	if seen.IsZero() {
		seen = in.StartedAt
	}
	_, err := s.exec(ctx, `INSERT INTO instances (id, host, pid, version, started_at, last_seen, leader)
		VALUES (?, ?, ?, ?, ?, ?, 0)
		ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, version = excluded.version,
			started_at = excluded.started_at, last_seen = excluded.last_seen`,
		in.ID, in.Host, in.PID, in.Version, timeArg(in.StartedAt), timeArg(seen))
	if err != nil {
		return fmt.Errorf("register instance %s: %w", in.ID, err)
	}
	return nil
}

// Heartbeat refreshes the instance's last_seen and says whether it leads.
// An instance that leads also takes the mark off every other row, so that
// a leader killed without a word does not stay marked after its successor's
// first beat.
func (s *Store) Heartbeat(ctx context.Context, id string, leader bool, at time.Time) error {
	err := s.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var res sql.Result
		var err error
		if leader {
			res, err = tx.ExecContext(ctx, `UPDATE instances SET last_seen = ?, leader = 1,
				leader_since = CASE WHEN leader = 1 AND leader_since IS NOT NULL THEN leader_since ELSE ? END
				WHERE id = ?`, timeArg(at), timeArg(at), id)
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE instances SET last_seen = ?, leader = 0, leader_since = NULL WHERE id = ?`, timeArg(at), id)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			// Pruned while this process was stopped (a long pause, a
			// suspended VM): the caller registers again.
			return model.ErrNotFound
		}
		if leader {
			_, err = tx.ExecContext(ctx, `UPDATE instances SET leader = 0, leader_since = NULL WHERE id <> ? AND leader = 1`, id)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("heartbeat of instance %s: %w", id, err)
	}
	return nil
}

// RemoveInstance deletes the instance's row, at a clean shutdown.
func (s *Store) RemoveInstance(ctx context.Context, id string) error {
	if _, err := s.exec(ctx, `DELETE FROM instances WHERE id = ?`, id); err != nil {
		return fmt.Errorf("remove instance %s: %w", id, err)
	}
	return nil
}

// PruneInstances deletes the rows of instances not seen since before, and
// the chat events older than that: the dead do not belong in status, and a
// platform redelivers an event within minutes, not hours.
func (s *Store) PruneInstances(ctx context.Context, before time.Time) error {
	if _, err := s.exec(ctx, `DELETE FROM instances WHERE last_seen < ?`, timeArg(before)); err != nil {
		return fmt.Errorf("prune instances: %w", err)
	}
	if _, err := s.exec(ctx, `DELETE FROM chat_events WHERE seen_at < ?`, timeArg(before)); err != nil {
		return fmt.Errorf("prune chat events: %w", err)
	}
	return nil
}

// Instances lists the instances seen since since, the leader first, then
// by start.
func (s *Store) Instances(ctx context.Context, since time.Time) ([]model.Instance, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, host, pid, version, started_at, last_seen, leader, leader_since
		FROM instances WHERE last_seen >= ? ORDER BY leader DESC, started_at, id`, sinceArg(since))
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	defer rows.Close()
	var out []model.Instance
	for rows.Next() {
		var (
			in                  model.Instance
			started, seen, lead sql.NullInt64
			leader              int
		)
		if err := rows.Scan(&in.ID, &in.Host, &in.PID, &in.Version, &started, &seen, &leader, &lead); err != nil {
			return nil, fmt.Errorf("list instances: %w", err)
		}
		in.StartedAt, in.LastSeen, in.LeaderSince = timeFrom(started), timeFrom(seen), timeFrom(lead)
		in.Leader = leader == 1
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	return out, nil
}

// FirstChatEvent records that instance is answering the chat event key and
// reports whether it is the first to: a platform that hands one command to
// two connections, or redelivers it, gets one answer.
func (s *Store) FirstChatEvent(ctx context.Context, key, instance string, at time.Time) (bool, error) {
	n, err := s.exec(ctx, `INSERT INTO chat_events (id, instance, seen_at) VALUES (?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, key, instance, timeArg(at))
	if err != nil {
		return false, fmt.Errorf("record chat event: %w", err)
	}
	return n == 1, nil
}

// DeliveryClaim is what ClaimDelivery found.
type DeliveryClaim struct {
	// Claimed: the lease is this instance's until it records an outcome.
	Claimed bool
	// Interrupted: an earlier lease was never given back, so an earlier
	// attempt may have reached the platform before its process stopped.
	Interrupted bool
}

// ClaimDelivery takes the lease on a pending delivery for instance until
// until. It is refused (Claimed false, no error) when the delivery is no
// longer pending or another live instance holds an unexpired lease on it;
// an instance is live while its last_seen is at or after liveSince. On
// Postgres the row is locked with FOR UPDATE SKIP LOCKED, so two instances
// claiming at once never wait on each other and only one wins.
func (s *Store) ClaimDelivery(ctx context.Context, deliveryID int64, instance string, now, until, liveSince time.Time) (DeliveryClaim, error) {
	lock := ""
	if s.Driver() == "postgres" {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var out DeliveryClaim
	err := s.writeTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = DeliveryClaim{}
		var prev sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT claimed_by FROM deliveries d
			WHERE d.id = ? AND d.status = 'pending'
			AND (d.claimed_by IS NULL OR d.claimed_by = ? OR d.claim_until IS NULL OR d.claim_until < ?
				OR NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = d.claimed_by AND i.last_seen >= ?))`+lock,
			deliveryID, instance, timeArg(now), timeArg(liveSince)).Scan(&prev)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET claimed_by = ?, claim_until = ? WHERE id = ?`,
			instance, timeArg(until), deliveryID); err != nil {
			return err
		}
		out = DeliveryClaim{Claimed: true, Interrupted: prev.Valid}
		return nil
	})
	if err != nil {
		return DeliveryClaim{}, fmt.Errorf("claim delivery %d: %w", deliveryID, err)
	}
	return out, nil
}
