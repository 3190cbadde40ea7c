package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// TestGroupCommitIsolatesAFailingSave saves many items at once, as a poll of
// many feeds does, with some saves that must fail (an update of an alert
// that does not exist): each failing caller gets its error and none of its
// rows, every other item and alert is stored.
func TestGroupCommitIsolatesAFailingSave(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	const n = 200
	errs := make([]error, n)
	ids := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			it := model.Item{SourceID: "src", ID: fmt.Sprint("item-", i), Title: fmt.Sprint("Title ", i)}
			a := alertFor(it, "new-ip")
			if i%25 == 7 {
				a.Kind, a.ParentID = model.AlertUpdate, 999_999 // no such alert
			}
			ids[i], errs[i] = saveTest(ctx, s, model.ItemSave{Item: it, Fingerprint: fmt.Sprint(i), Alert: a, Destinations: []string{"console"}})
		}()
	}
	wg.Wait()
	for i := range n {
		_, err := s.Alert(ctx, ids[i])
		switch {
		case i%25 == 7:
			if errs[i] == nil {
				t.Errorf("item %d: update of a missing alert saved without error", i)
			}
			var found int
			if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM items WHERE item_id = ?`, fmt.Sprint("item-", i)).Scan(&found); err != nil {
				t.Fatal(err)
			}
			if found != 0 {
				t.Errorf("item %d: failed save left its item row behind", i)
			}
		case errs[i] != nil:
			t.Errorf("item %d: %v", i, errs[i])
		case err != nil:
			t.Errorf("item %d: alert %d not readable: %v", i, ids[i], err)
		}
	}
}

// TestGroupCommitAfterClose refuses work once the store is closed.
func TestGroupCommitAfterClose(t *testing.T) {
	s, _ := openTest(t)
	s.Close()
	err := s.writeTx(context.Background(), func(context.Context, *sql.Tx) error { return nil })
	if !errors.Is(err, errClosed) {
		t.Fatalf("write after close: %v, want errClosed", err)
	}
}

// Lazy writes that arrive apart share one transaction; any other write
// commits the group at once.
func TestGroupCommitLazyWritesShareACommit(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	var mu sync.Mutex
	txs := map[*sql.Tx]bool{} // the transactions the writes ran in
	g := newGroupCommit(s.w, func() (bool, error) { return false, nil }, nil, catchUpQuiet, maxBehind)
	defer g.close()
	// Long enough that a loaded machine still puts both writes in it.
	g.lazyWindow = time.Second
	write := func(lazy bool, key string) error {
		return g.do(ctx, lazy, func(tx *sql.Tx) error {
			mu.Lock()
			txs[tx] = true
			mu.Unlock()
			_, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value) VALUES (?, 'v')`, key)
			return err
		})
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(txs) }

	firstDone := make(chan time.Time, 1)
	go func() {
		if err := write(true, "lazy-1"); err != nil {
			t.Error(err)
		}
		firstDone <- time.Now()
	}()
	time.Sleep(50 * time.Millisecond)
	secondStart := time.Now()
	if err := write(true, "lazy-2"); err != nil {
		t.Fatal(err)
	}
	if done := <-firstDone; done.Before(secondStart) {
		t.Errorf("the first lazy write was committed %v before the second arrived, want them together", secondStart.Sub(done))
	}
	if n := count(); n != 1 {
		t.Errorf("two lazy writes took %d transactions, want 1", n)
	}

	// A window nobody should wait out: an urgent write ends it.
	g.lazyWindow = 10 * time.Second
	start := time.Now()
	urgent := make(chan error, 1)
	go func() { urgent <- write(true, "lazy-3") }()
	time.Sleep(20 * time.Millisecond)
	if err := write(false, "urgent"); err != nil {
		t.Fatal(err)
	}
	if err := <-urgent; err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("a lazy write followed by an urgent one took %v: the urgent write waited out the lazy window", waited)
	}
	if n := count(); n != 2 {
		t.Errorf("%d transactions after the urgent write, want 2 (it joined the waiting lazy one)", n)
	}
	var rows int
	if err := s.r.QueryRow(`SELECT count(*) FROM kv`).Scan(&rows); err != nil || rows != 4 {
		t.Errorf("%d rows written (err %v), want 4", rows, err)
	}
}

// pacedWrites writes a row every gap until stop closes, as a poll cycle's
// batches arrive, and counts the catch-up steps the writer ran meanwhile.
func pacedWrites(t *testing.T, quiet, maxBehind, gap, burst time.Duration) (duringBurst int64, g *groupCommit, steps *atomic.Int64) {
	t.Helper()
	s, _ := openTest(t)
	steps = new(atomic.Int64)
	g = newGroupCommit(s.w, func() (bool, error) { steps.Add(1); return false, nil }, nil, quiet, maxBehind)
	t.Cleanup(g.close)
	g.awaitCaughtUp(context.Background(), 0) // the start-up step
	steps.Store(0)
	end := time.Now().Add(burst)
	for i := 0; time.Now().Before(end); i++ {
		if err := g.do(context.Background(), false, func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO kv (key, value) VALUES (?, 'v')`, fmt.Sprint("k", i))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(gap)
	}
	return steps.Load(), g, steps
}

// A burst of writes is committed before the work it leaves (indexing) is
// done: the writer starts it only once the writes pause.
func TestCatchUpWaitsForAPause(t *testing.T) {
	during, g, steps := pacedWrites(t, time.Second, time.Hour, 5*time.Millisecond, 300*time.Millisecond)
	if during != 0 {
		t.Errorf("%d catch-up steps ran between writes 5 ms apart, want none until they pause for 1 s", during)
	}
	g.awaitCaughtUp(context.Background(), 5*time.Second)
	if steps.Load() == 0 {
		t.Error("no catch-up step ran after the writes stopped")
	}
}

// A stream of writes that never pauses does not starve the work it leaves.
func TestCatchUpIsForcedWhenOverdue(t *testing.T) {
	during, _, _ := pacedWrites(t, time.Hour, 50*time.Millisecond, 5*time.Millisecond, 500*time.Millisecond)
	if during == 0 {
		t.Error("no catch-up step ran during 500 ms of writes, want one after each commit once 50 ms behind")
	}
}
