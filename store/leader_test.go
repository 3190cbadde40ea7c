package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store/pgtest"
)

// openPGPair opens two stores on one Postgres schema, as two instances do.
func openPGPair(t *testing.T) (*Store, *Store) {
	t.Helper()
	dsn := pgtest.DSN(t)
	var out [2]*Store
	for i := range out {
		s, err := OpenDriver(context.Background(), DriverPostgres, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		out[i] = s
	}
	return out[0], out[1]
}

// TestLeaderLeaseOnPostgres: one of two instances on a schema holds the
// leader lock; the other gets it once the first lets go, or once the
// first's session ends (the server ends it here, as it does when a killed
// process's socket closes), and the first then sees its lease is gone.
// Another schema is another deployment with a leader of its own.
func TestLeaderLeaseOnPostgres(t *testing.T) {
	a, b := openPGPair(t)
	ctx := context.Background()
	la, err := a.TryLead(ctx)
	if err != nil || la == nil {
		t.Fatalf("first TryLead = %v, %v; want the lease", la, err)
	}
	if lb, err := b.TryLead(ctx); err != nil || lb != nil {
		t.Fatalf("second TryLead = %v, %v; want none while the first leads", lb, err)
	}
	if err := la.Check(ctx); err != nil {
		t.Fatalf("Check of a held lease: %v", err)
	}
	// Over TCP the leader's session has keepalives that free the lock
	// within seconds of its machine vanishing.
	var tcp bool
	var idle string
	if err := la.conn.QueryRowContext(ctx, `SELECT inet_server_addr() IS NOT NULL, current_setting('tcp_keepalives_idle')`).Scan(&tcp, &idle); err != nil {
		t.Fatal(err)
	}
	if tcp && idle != "5" {
		t.Errorf("tcp_keepalives_idle on the leader's session = %s, want 5", idle)
	}
	other, err := OpenDriver(ctx, DriverPostgres, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lo, err := other.TryLead(ctx)
	if err != nil || lo == nil {
		t.Fatalf("TryLead in another schema = %v, %v; want its own lease", lo, err)
	}
	lo.Release()

	la.Release()
	lb, err := b.TryLead(ctx)
	if err != nil || lb == nil {
		t.Fatalf("TryLead after the leader let go = %v, %v; want the lease", lb, err)
	}

	// The server ends the leader's session.
	var pid int
	if err := lb.conn.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := a.w.ExecContext(ctx, `SELECT pg_terminate_backend(?)`, pid); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for lb.Check(ctx) == nil {
		if time.Now().After(deadline) {
			t.Fatal("Check still passes after the session ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
	lb.Release()
	la, err = a.TryLead(ctx)
	if err != nil || la == nil {
		t.Fatalf("TryLead after the leader's session ended = %v, %v; want the lease", la, err)
	}
	la.Release()
}

// TestClaimDeliveryRaceOnPostgres: instances claiming one delivery at the
// same moment (FOR UPDATE SKIP LOCKED) never both get it.
func TestClaimDeliveryRaceOnPostgres(t *testing.T) {
	a, b := openPGPair(t)
	ctx := context.Background()
	const n = 20
	for i := range n {
		id := string(rune('a' + i))
		it := item("src", id, "item "+id)
		mustSave(t, a, model.ItemSave{Item: it, Fingerprint: id, Alert: alertFor(it, "new-ip"), Destinations: []string{"slack:#a"}})
	}
	pending, err := a.PendingDeliveries(ctx, 100)
	if err != nil || len(pending) != n {
		t.Fatalf("pending = %d, %v", len(pending), err)
	}
	now := time.Now()
	for _, id := range []string{"A1", "A2", "B1", "B2"} {
		if err := a.RegisterInstance(ctx, model.Instance{ID: id, StartedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range pending {
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i, id := range []string{"A1", "A2", "B1", "B2"} {
			s := a
			if i >= 2 {
				s = b
			}
			wg.Go(func() {
				c, err := s.ClaimDelivery(ctx, d.ID, id, now, now.Add(time.Minute), now.Add(-time.Minute))
				if err != nil {
					t.Error(err)
				}
				if c.Claimed {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if w := wins.Load(); w != 1 {
			t.Errorf("delivery %d claimed by %d instances at once, want exactly 1", d.ID, w)
		}
	}
}
