package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"
)

// LeaderLease is the right to do the work only one instance may do at a
// time (polling, sending, Matrix). On SQLite the only process that may open
// the file for `run` always holds it; on Postgres it is a session advisory
// lock held on one connection taken out of the pool, so it ends the moment
// that session does: a killed process's socket is closed by its kernel and
// the server lets go of the lock at once.
type LeaderLease struct {
	conn *sql.Conn // nil: SQLite, a lease that never ends
}

// leaderLockKey is keyed on the schema: advisory locks are per database,
// and instances (or tests) in different schemas are different deployments.
const leaderLockKey = `hashtext(current_schema() || ':leader')`

// leaderKeepalives make the server notice within about 15 s a leader whose
// machine vanished without closing its socket (a VM powered off, a cable
// pulled), instead of the system's two hours, so that its lock is freed.
// They are per session and need no privilege.
var leaderKeepalives = []string{
	`SET tcp_keepalives_idle = 5`,
	`SET tcp_keepalives_interval = 2`,
	`SET tcp_keepalives_count = 3`,
	`SET tcp_user_timeout = 10000`,
}

// TryLead takes the leader lease if no other instance holds it. It returns
// nil and no error when another does.
func (s *Store) TryLead(ctx context.Context) (*LeaderLease, error) {
	if s.Driver() != "postgres" {
		return &LeaderLease{}, nil
	}
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("take a connection for the leader lock: %w", err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(`+leaderLockKey+`)`).Scan(&got); err != nil {
		discard(conn)
		return nil, fmt.Errorf("try the leader lock: %w", err)
	}
	if !got {
		_ = conn.Close() // back to the pool: it holds nothing
		return nil, nil
	}
	for _, q := range leaderKeepalives {
		// A server without one of them (tcp_user_timeout is PostgreSQL 12+)
		// or a Unix socket, where they mean nothing, leaves the defaults.
		_, _ = conn.ExecContext(ctx, q)
	}
	return &LeaderLease{conn: conn}, nil
}

// Check reports whether the lease is still held: on Postgres, whether the
// session holding the lock still answers and holds it (the session takes
// no other advisory lock). Any error means it may be lost.
func (l *LeaderLease) Check(ctx context.Context) error {
	if l == nil || l.conn == nil {
		return nil
	}
	var held bool
	err := l.conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
		WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted)`).Scan(&held)
	if err != nil {
		return fmt.Errorf("check the leader lock: %w", err)
	}
	if !held {
		return errors.New("the leader lock is no longer held")
	}
	return nil
}

// Release gives the lease up: the lock is let go and its connection closed
// rather than returned to the pool, so no later query inherits the lock.
func (l *LeaderLease) Release() {
	if l == nil || l.conn == nil {
		return
	}
	// Closing the session frees the lock only once the server's backend
	// has exited, a moment after the close returns; unlocking first frees
	// it before Release returns, so a standby can take over at once.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _ = l.conn.ExecContext(ctx, `SELECT pg_advisory_unlock(`+leaderLockKey+`)`)
	discard(l.conn)
	l.conn = nil
}

// discard closes a pinned connection for good: ending its session frees
// every session lock it held.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}
