package digest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func owe(t *testing.T, st *store.Store, id, title string, digestTo ...string) int64 {
	t.Helper()
	it := model.Item{SourceID: "itu-news", ID: id, Title: title, Link: "https://www.itu.int/" + id}
	a := &model.Alert{Kind: model.AlertNew, Item: it, Matches: []model.Match{{Topic: "new-ip", Severity: model.SeverityMedium}}}
	if err := st.SaveItems(context.Background(), []model.ItemSave{{Item: it, Fingerprint: id, Alert: a, DigestDestinations: digestTo}})[0]; err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func pending(t *testing.T, st *store.Store) []model.Delivery {
	t.Helper()
	d, err := st.PendingDeliveries(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCloserSendsEachPeriodOnceAndCatchesUp(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	const dest = "slack:#policy"
	now := time.Now()
	clock := now
	wakes := 0
	c := NewCloser(Options{
		Store: st,
		Plans: []model.DigestPlan{{Destination: dest, Schedule: "daily"}},
		Now:   func() time.Time { return clock },
		Wake:  func() { wakes++ },
	})
	owe(t, st, "1", "first", dest)
	owe(t, st, "2", "second", dest)

	// The period that ended at the last 09:00 held none of them: it closes
	// empty, and sends nothing.
	if n, _, err := c.CloseDue(ctx); err != nil || n != 0 {
		t.Fatalf("first pass: %d queued, %v; want an empty period closed", n, err)
	}
	first, _ := st.LastDigestEnd(ctx, dest)
	if first.IsZero() || first.After(now) {
		t.Fatalf("last digest end = %v, want the last 09:00 before %v", first, now)
	}

	// A preview shows what is owed, and records nothing.
	clock = time.Now()
	preview, err := c.Preview(ctx, dest)
	if err != nil || len(preview) != 1 || preview[0].Digest.Alerts != 2 {
		t.Fatalf("preview = %+v, %v; want one page of 2 alerts", preview, err)
	}
	if len(pending(t, st)) != 0 {
		t.Fatal("the preview queued a delivery")
	}
	if n, _, _ := c.CloseDue(ctx); n != 0 {
		t.Fatalf("a second pass in the same period queued %d digests", n)
	}

	// ituwatch was down for three days: the next start sends what was
	// owed, once, as one digest up to the last closing time.
	clock = now.Add(72 * time.Hour)
	if n, _, err := c.CloseDue(ctx); err != nil || n != 1 {
		t.Fatalf("after three days: %d queued, %v; want 1", n, err)
	}
	if wakes != 1 {
		t.Errorf("dispatcher woken %d times, want 1", wakes)
	}
	p := pending(t, st)
	if len(p) != 1 || p[0].Destination != dest {
		t.Fatalf("pending = %+v, want one digest to %s", p, dest)
	}
	page, err := st.Alert(ctx, p[0].AlertID)
	if err != nil {
		t.Fatal(err)
	}
	if page.Kind != model.AlertDigest || page.Digest.Alerts != 2 || !page.Digest.Start.Equal(first) {
		t.Errorf("digest page = %+v", page.Digest)
	}
	if n, _, _ := c.CloseDue(ctx); n != 0 {
		t.Errorf("the period was closed twice: %d more digests", n)
	}
	if len(pending(t, st)) != 1 {
		t.Error("a second digest was queued")
	}
}

func TestTwoClosersCloseAPeriodOnce(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	const dest = "matrix:!room:example.org"
	for i := range 5 {
		owe(t, st, string(rune('a'+i)), "story", dest)
	}
	later := time.Now().Add(25 * time.Hour)
	var wg sync.WaitGroup
	for range 2 {
		c := NewCloser(Options{Store: st, Plans: []model.DigestPlan{{Destination: dest, Schedule: "daily", Timezone: "Asia/Tokyo"}}, Now: func() time.Time { return later }})
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.CloseDue(ctx) // one of them finds the period closed
		}()
	}
	wg.Wait()
	if p := pending(t, st); len(p) != 1 {
		t.Errorf("%d digests queued by two closers, want 1", len(p))
	}
}

func TestChannelDigestOverridesRoutePlan(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	if err := st.SetChannelDigest(ctx, model.ChannelDigest{Destination: "slack:C1", Schedule: "weekly", Timezone: "Europe/Zurich"}); err != nil {
		t.Fatal(err)
	}
	c := NewCloser(Options{Store: st, Plans: []model.DigestPlan{{Destination: "slack:C1", Schedule: "daily"}}})
	p, ok, err := c.PlanFor(ctx, "slack:C1")
	if err != nil || !ok || p.Schedule != "weekly" || p.Timezone != "Europe/Zurich" {
		t.Errorf("PlanFor = %+v, %v, %v; want the channel's weekly digest", p, ok, err)
	}
}

// A channel that turns its digest off still gets what was put aside for
// it, at once, as a last digest.
func TestDigestTurnedOffStillSendsWhatItOwes(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	if err := st.SetChannelDigest(ctx, model.ChannelDigest{Destination: "slack:C1", Schedule: "weekly"}); err != nil {
		t.Fatal(err)
	}
	owe(t, st, "1", "owed", "slack:C1")
	if _, err := st.RemoveChannelDigest(ctx, "slack:C1"); err != nil {
		t.Fatal(err)
	}
	clock := time.Now().Add(time.Second)
	c := NewCloser(Options{Store: st, Now: func() time.Time { return clock }})
	if n, _, err := c.CloseDue(ctx); err != nil || n != 1 {
		t.Fatalf("CloseDue = %d, %v; want the owed alert sent as a last digest", n, err)
	}
	if p := pending(t, st); len(p) != 1 || p[0].Destination != "slack:C1" {
		t.Errorf("pending = %+v", p)
	}
	clock = clock.Add(time.Hour)
	if n, _, _ := c.CloseDue(ctx); n != 0 {
		t.Errorf("sent again: %d", n)
	}
}
