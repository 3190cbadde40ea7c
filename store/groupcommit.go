package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// maxGroup bounds how many write transactions share one commit, so that a
// failing commit costs a bounded amount of repeated work.
const maxGroup = 256

var errClosed = errors.New("the store is closed")

// groupCommit runs the write transactions of concurrent callers together:
// every transaction queued while the previous commit ran goes into one
// BEGIN … COMMIT, each in its own savepoint so that one that fails rolls
// back only itself. A commit (the WAL write, the full-text index flush) is
// the dominant cost of a small write; polling a thousand feeds at once asks
// for tens of thousands of them. A caller still returns only after its
// writes were committed, or with the error that prevented it.
type groupCommit struct {
	db   *sql.DB
	reqs chan *writeReq
	stop chan struct{}
	done chan struct{}
}

type writeReq struct {
	ctx context.Context
	fn  func(tx *sql.Tx) error
	err chan error // buffered: the writer never blocks on a caller
}

func newGroupCommit(db *sql.DB) *groupCommit {
	g := &groupCommit{db: db, reqs: make(chan *writeReq), stop: make(chan struct{}), done: make(chan struct{})}
	go g.run()
	return g
}

// do runs fn in a write transaction and returns once it is committed.
func (g *groupCommit) do(ctx context.Context, fn func(tx *sql.Tx) error) error {
	r := &writeReq{ctx: ctx, fn: fn, err: make(chan error, 1)}
	select {
	case g.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.done:
		return errClosed
	}
	// Once queued, wait for the outcome even if ctx ends: the caller must
	// know whether its writes were committed.
	return <-r.err
}

func (g *groupCommit) close() {
	select {
	case <-g.stop:
	default:
		close(g.stop)
	}
	<-g.done
}

func (g *groupCommit) run() {
	defer close(g.done)
	batch := make([]*writeReq, 0, maxGroup)
	for {
		select {
		case r := <-g.reqs:
			batch = append(batch[:0], r)
		case <-g.stop:
			return
		}
	more:
		for len(batch) < maxGroup {
			select {
			case r := <-g.reqs:
				batch = append(batch, r)
			default:
				break more
			}
		}
		g.commit(batch)
		clear(batch)
	}
}

// commit runs one group. A lone transaction runs without savepoints.
func (g *groupCommit) commit(batch []*writeReq) {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	// The transaction outlives any one caller's context; each fn's
	// statements still run under its caller's.
	ctx := context.Background()
	tx, err := g.db.BeginTx(ctx, nil)
	if err != nil {
		for _, r := range live {
			r.err <- err
		}
		return
	}
	if len(live) == 1 {
		r := live[0]
		if err := r.fn(tx); err != nil {
			tx.Rollback()
			r.err <- err
			return
		}
		r.err <- tx.Commit()
		return
	}
	errs := make([]error, len(live))
	for i, r := range live {
		if err := g.inSavepoint(ctx, tx, r.fn); err != nil {
			var broken *brokenTxError
			if errors.As(err, &broken) {
				tx.Rollback()
				for _, r := range live {
					r.err <- broken.err
				}
				return
			}
			errs[i] = err
		}
	}
	if err := tx.Commit(); err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	for i, r := range live {
		r.err <- errs[i]
	}
}

// brokenTxError means the shared transaction can no longer be used (a
// savepoint could not be set or undone), so nothing in it may be committed.
type brokenTxError struct{ err error }

func (e *brokenTxError) Error() string { return e.err.Error() }

func (g *groupCommit) inSavepoint(ctx context.Context, tx *sql.Tx, fn func(tx *sql.Tx) error) error {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT w`); err != nil {
		return &brokenTxError{fmt.Errorf("begin savepoint: %w", err)}
	}
	ferr := fn(tx)
	if ferr != nil {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO w`); err != nil {
			return &brokenTxError{fmt.Errorf("%w (and undoing it failed: %v)", ferr, err)}
		}
	}
	if _, err := tx.ExecContext(ctx, `RELEASE w`); err != nil {
		return &brokenTxError{fmt.Errorf("release savepoint: %w", err)}
	}
	return ferr
}
