package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
)

// maxGroup bounds how many write transactions share one commit, so that a
// failing commit costs a bounded amount of repeated work.
const maxGroup = 256

var errClosed = errors.New("the store is closed")

// groupCommit runs the write transactions of concurrent callers together:
// every transaction queued while the previous commit ran goes into one
// BEGIN … COMMIT (see commit for what happens when one fails). A commit
// (its WAL write) is the dominant cost of a small write, and polling a
// thousand feeds at once asks for thousands of them. A caller still returns
// only after its writes were committed, or with the error that prevented it.
type groupCommit struct {
	db *sql.DB
	// catchUp does one step of the work that commits leave behind
	// (indexing the items they wrote for search) in its own transaction,
	// and says whether there is more. The writer runs it once it has been
	// idle for quiet, and between groups once it has been behind for
	// maxBehind, so that a burst of writes is not slowed by it and a
	// steady stream does not starve it.
	catchUp func() (more bool, err error)
	// committed, if not nil, is called after every commit of the writer.
	committed func()
	// quiet and maxBehind pace catch-up work (see catchUpQuiet).
	quiet, maxBehind time.Duration
	// lazyWindow is defaultLazyWindow but for tests.
	lazyWindow time.Duration
	reqs       chan *writeReq
	wake       chan struct{} // catch-up work was noted while the writer may be idle
	stop       chan struct{}
	done       chan struct{}

	mu          sync.Mutex
	behind      chan struct{} // non-nil while catch-up work is left; closed when done
	behindSince time.Time
	retryAt     time.Time // after a failed catch-up step
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

// Catch-up work waits for the writer to have been idle for catchUpQuiet
// since its last commit, so that a burst of writes (a poll cycle of
// thousands of sources) is committed, and its alerts sent, before its
// items are indexed; but it waits at most maxBehind, so that a steady
// stream of writes does not starve it.
const (
	catchUpQuiet = 50 * time.Millisecond
	maxBehind    = 10 * time.Second
)

func newGroupCommit(db *sql.DB, catchUp func() (bool, error), committed func(), quiet, maxBehind time.Duration) *groupCommit {
	if committed == nil {
		committed = func() {}
	}
	g := &groupCommit{db: db, catchUp: catchUp, committed: committed, quiet: quiet, maxBehind: maxBehind, lazyWindow: defaultLazyWindow,
		reqs: make(chan *writeReq), wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	g.markBehind() // work an earlier process left
	go g.run()
	return g
}

// markBehind notes that a commit may have left catch-up work.
func (g *groupCommit) markBehind() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.behind == nil {
		g.behind = make(chan struct{})
		g.behindSince = time.Now()
	}
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// step runs one catch-up step if there is work; it reports whether the
// writer should try another.
func (g *groupCommit) step() bool {
	g.mu.Lock()
	behind, retryAt := g.behind != nil, g.retryAt
	g.mu.Unlock()
	if !behind || time.Now().Before(retryAt) {
		return false
	}
	more, err := g.catchUp()
	g.committed()
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case err != nil:
		// Try again later; meanwhile waiters get what is there.
		g.retryAt = time.Now().Add(time.Second)
		close(g.behind)
		g.behind = make(chan struct{})
		return false
	case !more:
		close(g.behind)
		g.behind = nil
		g.retryAt = time.Time{}
		return false
	}
	g.retryAt = time.Time{}
	return true
}

// retry fires when a failed catch-up step may be tried again (never if
// none failed).
func (g *groupCommit) retry() <-chan time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.behind == nil || g.retryAt.IsZero() {
		return nil
	}
	return time.After(time.Until(g.retryAt))
}

// isBehind reports whether catch-up work may be waiting.
func (g *groupCommit) isBehind() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.behind != nil
}

// overdue reports whether catch-up work has waited longer than maxBehind.
func (g *groupCommit) overdue() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.behind != nil && time.Since(g.behindSince) > g.maxBehind
}

// awaitCaughtUp waits until the catch-up work of the writes committed so
// far is done, at most max (0: no bound) or until ctx ends.
func (g *groupCommit) awaitCaughtUp(ctx context.Context, max time.Duration) {
	g.mu.Lock()
	behind := g.behind
	g.mu.Unlock()
	if behind == nil {
		return
	}
	var timeout <-chan time.Time
	if max > 0 {
		t := time.NewTimer(max)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-behind:
	case <-timeout:
	case <-ctx.Done():
	case <-g.done:
	}
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
	var lastCommit time.Time
	for {
		r := g.next(lastCommit)
		if r == nil {
			return
		}
		batch = g.gather(append(batch[:0], r))
		// Marked before the callers hear of their commit, so that a
		// search they run next waits for what they wrote to be indexed.
		g.markBehind()
		g.commit(batch)
		g.committed()
		clear(batch)
		lastCommit = time.Now()
		if g.overdue() {
			g.step()
		}
	}
}

// next returns the next write, doing catch-up work while the writer is
// idle, or nil once the store is closing.
func (g *groupCommit) next(lastCommit time.Time) *writeReq {
	for {
		select {
		case r := <-g.reqs:
			return r
		case <-g.stop:
			return nil
		default:
		}
		var quiet <-chan time.Time
		if wait := g.quiet - time.Since(lastCommit); wait > 0 && g.isBehind() {
			// The writes of a burst come milliseconds apart: wait for
			// the next one rather than start a step it would queue behind.
			quiet = time.After(wait)
		} else if g.step() {
			// A step at a time, so a write that arrives waits for one
			// step at most.
			continue
		}
		select {
		case r := <-g.reqs:
			return r
		case <-quiet:
		case <-g.wake:
		case <-g.retry():
		case <-g.stop:
			return nil
		}
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
	// The transaction outlives any one caller's context (each fn's
	// statements run under its caller's values, without its cancellation:
	// see Store.write).
	if tx, err := g.db.BeginTx(context.Background(), nil); err == nil {
		ok := true
		for _, r := range live {
			if err := r.fn(tx); err != nil {
				ok = false
				break
			}
		}
		if ok && tx.Commit() == nil {
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
	// As in a group, the transaction outlives the caller's context.
	return inTx(context.Background(), g.db, r.fn)
}

// inTx runs fn in a transaction of db, committed if fn returns nil.
func inTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
