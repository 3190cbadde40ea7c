package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/bot/slack"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// fakeLease is a lease the test takes away.
type fakeLease struct{ lost *atomic.Bool }

func (l fakeLease) Check(context.Context) error {
	if l.lost.Load() {
		return errors.New("session ended")
	}
	return nil
}
func (fakeLease) Release() {}

// shortElection shortens the election's timings for a unit test; the
// 3-process test runs them as shipped.
func shortElection(t *testing.T) {
	try, check, settle := leaderTryEvery, leaderCheckEvery, leaderSettle
	leaderTryEvery, leaderCheckEvery, leaderSettle = 20*time.Millisecond, 10*time.Millisecond, 0
	t.Cleanup(func() { leaderTryEvery, leaderCheckEvery, leaderSettle = try, check, settle })
}

// TestElectionStepsDownAndComesBack: the leader's work runs under a
// context that ends when its lease is lost, and starts again when the
// lease is won again; while another holds it, nothing runs.
func TestElectionStepsDownAndComesBack(t *testing.T) {
	shortElection(t)
	var free, lost atomic.Bool
	e := &election{log: slog.New(slog.NewTextHandler(io.Discard, nil)), try: func(context.Context) (leaseChecker, error) {
		if !free.Load() {
			return nil, nil
		}
		free.Store(false)
		lost.Store(false)
		return fakeLease{lost: &lost}, nil
	}}
	started, stopped := make(chan struct{}, 4), make(chan struct{}, 4)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		e.Run(ctx, func(ctx context.Context) {
			started <- struct{}{}
			<-ctx.Done()
			stopped <- struct{}{}
		})
	})
	wait := func(ch chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not happen", what)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if lead, _ := e.Leading(); lead || len(started) > 0 {
		t.Fatal("the leader's work started while another instance held the lock")
	}
	free.Store(true)
	wait(started, "leading")
	if lead, since := e.Leading(); !lead || since.IsZero() {
		t.Errorf("Leading = %v, %v while leading", lead, since)
	}
	lost.Store(true) // the session holding the lock ended
	wait(stopped, "stepping down")
	deadline := time.Now().Add(time.Second)
	for lead, _ := e.Leading(); lead; lead, _ = e.Leading() {
		if time.Now().After(deadline) {
			t.Fatal("still leading after the lease was lost")
		}
		time.Sleep(5 * time.Millisecond)
	}
	free.Store(true) // won again
	wait(started, "leading again")
	cancel()
	wait(stopped, "stopping at the end")
	wg.Wait()
}

// TestLeaseTakenFromAKilledInstanceIsNotPostedTwice: instance A leased a
// delivery, posted it to Slack and was killed before recording it; B, which
// started before the alert was written (so "older than this process" does
// not tell it), takes the lease over once A counts as dead and finds A's
// message instead of posting again.
func TestLeaseTakenFromAKilledInstanceIsNotPostedTwice(t *testing.T) {
	ctx := context.Background()
	fake, st, sc, log := leaseRig(t)
	time.Sleep(10 * time.Millisecond) // the alert is younger than B's Slack client

	it := model.Item{SourceID: "policy-news", ID: "k1", Title: "TSAG debates New IP successor at ITU-T", Link: "https://news.example/k1"}
	alert := &model.Alert{Kind: model.AlertNew, Item: it, Matches: []model.Match{{Topic: "new-ip", TopicName: "New IP", Severity: model.SeverityHigh, Score: 3}}}
	if err := st.SaveItems(ctx, []model.ItemSave{{Item: it, Fingerprint: "k1", Alert: alert, Destinations: []string{"slack:#itu-alerts"}}})[0]; err != nil {
		t.Fatal(err)
	}
	pending, err := st.PendingDeliveries(ctx, 10)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending = %v, %v", pending, err)
	}
	dl := pending[0]
	now := time.Now()
	for _, in := range []model.Instance{{ID: "aaaa0001", StartedAt: now.Add(-time.Hour), LastSeen: now.Add(-time.Minute)}, {ID: "bbbb0002", StartedAt: now.Add(-time.Hour), LastSeen: now}} {
		if err := st.RegisterInstance(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	// A's lease and post, a minute ago; then A was killed.
	if c, err := st.ClaimDelivery(ctx, dl.ID, "aaaa0001", now.Add(-time.Minute), now.Add(time.Minute), now.Add(-2*time.Minute)); err != nil || !c.Claimed {
		t.Fatalf("A's claim = %+v, %v", c, err)
	}
	stored, err := st.Alert(ctx, dl.AlertID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Send(ctx, notify.Outgoing{DeliveryID: dl.ID, Alert: stored, Target: "#itu-alerts", Attempt: 1}); err != nil {
		t.Fatal(err)
	}

	b := notify.NewDispatcher(notify.DispatcherOptions{
		Outbox: st, Notifiers: map[string]notify.Notifier{"slack": sc}, Logger: log,
		Leaser: storeLeaser{st: st, instance: "bbbb0002", live: st.InstanceLiveFor()},
	})
	if n, err := b.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("B's pass delivered %d, %v; want 1", n, err)
	}
	posts := fake.accepted_()
	if len(posts) != 1 {
		t.Fatalf("Slack holds %d messages for the one delivery, want 1: %+v", len(posts), posts)
	}
	dests, err := st.DestinationStatuses(ctx)
	if err != nil || len(dests) != 1 || dests[0].Pending != 0 {
		t.Errorf("after B's pass: %+v, %v; want nothing pending", dests, err)
	}
}

// TestLeaseHeldByALiveInstanceWaits: while another live instance holds a
// delivery's lease (it is sending it), this one sends nothing to that
// destination and looks again shortly.
func TestLeaseHeldByALiveInstanceWaits(t *testing.T) {
	ctx := context.Background()
	fake, st, sc, log := leaseRig(t)
	it := model.Item{SourceID: "policy-news", ID: "k2", Title: "CWG-Internet opens consultation", Link: "https://news.example/k2"}
	alert := &model.Alert{Kind: model.AlertNew, Item: it, Matches: []model.Match{{Topic: "new-ip", TopicName: "New IP", Severity: model.SeverityHigh, Score: 3}}}
	if err := st.SaveItems(ctx, []model.ItemSave{{Item: it, Fingerprint: "k2", Alert: alert, Destinations: []string{"slack:#itu-alerts"}}})[0]; err != nil {
		t.Fatal(err)
	}
	pending, _ := st.PendingDeliveries(ctx, 10)
	now := time.Now()
	if err := st.RegisterInstance(ctx, model.Instance{ID: "aaaa0001", StartedAt: now, LastSeen: now}); err != nil {
		t.Fatal(err)
	}
	if c, err := st.ClaimDelivery(ctx, pending[0].ID, "aaaa0001", now, now.Add(time.Minute), now.Add(-time.Minute)); err != nil || !c.Claimed {
		t.Fatalf("A's claim = %+v, %v", c, err)
	}
	b := notify.NewDispatcher(notify.DispatcherOptions{
		Outbox: st, Notifiers: map[string]notify.Notifier{"slack": sc}, Logger: log,
		Leaser: storeLeaser{st: st, instance: "bbbb0002", live: st.InstanceLiveFor()},
	})
	if n, err := b.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("B's pass delivered %d, %v; want 0 while A holds the lease", n, err)
	}
	if got := fake.postAttempts(); got != 0 {
		t.Errorf("B posted %d times while A held the lease", got)
	}
}

// leaseRig is what the lease tests share: the fake Slack Web API, a SQLite
// store and a Slack client posting to the fake.
func leaseRig(t *testing.T) (*fakeSlackAPI, *store.Store, *slack.Client, *slog.Logger) {
	t.Helper()
	fake := newFakeSlackAPI(t, killTestToken)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "ituwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sc, err := slack.New(slack.Options{BotToken: killTestToken, APIURL: fake.url(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return fake, st, sc, log
}
