package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// maxGroup bounds how many write transactions share one commit, so that a
// failing commit costs a bounded amount of repeated work.
const maxGroup = 256

var errClosed = errors.New("the store is closed")

// groupCommit runs the write transactions of concurrent callers together:
// every transaction queued while the previous commit ran goes into one
// BEGIN … COMMIT (see commit for what happens when one fails). A commit (the WAL write, the full-text index flush) is
// the dominant cost of a small write; polling a thousand feeds at once asks
// for tens of thousands of them. A caller still returns only after its
// writes were committed, or with the error that prevented it.
type groupCommit struct {
	db *sql.DB
	// finish runs last in every transaction, before its commit (indexing
	// the items the transaction wrote); its failure fails the transaction.
	finish func(tx *sql.Tx) error
	// lazyWindow is defaultLazyWindow but for tests.
	lazyWindow time.Duration
	reqs       chan *writeReq
	stop       chan struct{}
	done       chan struct{}
}

type writeReq struct {
	ctx context.Context
	fn  func(tx *sql.Tx) error
	err chan error // buffered: the writer never blocks on a caller
	// lazy writes (bookkeeping nobody waits to read, such as a source's
	// poll state) may wait up to defaultLazyWindow for company, so that writes
	// arriving a millisecond apart share a commit instead of paying one
	// each; any other write ends the wait.
	lazy bool
}

// defaultLazyWindow is how long a group of only lazy writes waits for more.
const defaultLazyWindow = 20 * time.Millisecond

func newGroupCommit(db *sql.DB, finish func(tx *sql.Tx) error) *groupCommit {
	g := &groupCommit{db: db, finish: finish, lazyWindow: defaultLazyWindow, reqs: make(chan *writeReq), stop: make(chan struct{}), done: make(chan struct{})}
	go g.run()
	return g
}

// do runs fn in a write transaction and returns once it is committed.
func (g *groupCommit) do(ctx context.Context, lazy bool, fn func(tx *sql.Tx) error) error {
	r := &writeReq{ctx: ctx, fn: fn, err: make(chan error, 1), lazy: lazy}
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
		batch = g.gather(batch)
		g.commit(batch)
		clear(batch)
	}
}

// gather adds the writes queued behind the first of batch, and lingers
// while every write so far is lazy.
func (g *groupCommit) gather(batch []*writeReq) []*writeReq {
	lazy := batch[0].lazy
	var linger <-chan time.Time
	for len(batch) < maxGroup {
		select {
		case r := <-g.reqs:
			batch = append(batch, r)
			lazy = lazy && r.lazy
			continue
		default:
		}
		if !lazy {
			return batch
		}
		if linger == nil {
			t := time.NewTimer(g.lazyWindow)
			defer t.Stop()
			linger = t.C
		}
		select {
		case r := <-g.reqs:
			batch = append(batch, r)
			lazy = r.lazy
		case <-linger:
			return batch
		case <-g.stop:
			return batch
		}
	}
	return batch
}

// commit runs one group in one transaction. If any transaction of the
// group fails, or the commit does, the group is rolled back and each is run
// again alone, so that every caller gets the outcome of its own
// transaction. (Savepoints per caller would be simpler, but the full-text
// index flushes its pending terms at every savepoint, which is the cost
// grouping saves.)
func (g *groupCommit) commit(batch []*writeReq) {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err <- err
			continue
		}
		live = append(live, r)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		live[0].err <- g.alone(live[0])
		return
	}
	// The transaction outlives any one caller's context; each fn's
	// statements still run under its caller's.
	if tx, err := g.db.BeginTx(context.Background(), nil); err == nil {
		ok := true
		for _, r := range live {
			if err := r.fn(tx); err != nil {
				ok = false
				break
			}
		}
		if ok && g.finish(tx) == nil && tx.Commit() == nil {
			for _, r := range live {
				r.err <- nil
			}
			return
		}
		tx.Rollback() // after a failed fn or commit; harmless if already ended
	}
	for _, r := range live {
		r.err <- g.alone(r)
	}
}

// alone runs one caller's transaction by itself.
func (g *groupCommit) alone(r *writeReq) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	tx, err := g.db.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	if err := r.fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := g.finish(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
