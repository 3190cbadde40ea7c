package slack

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// These tests run the real notify.Dispatcher and the real store against the
// Slack client and a fake Slack, so what they check is what would be on
// disk after a run.

// queueAlert stores sampleAlert's item and alert with one pending delivery
// per destination, as the pipeline would.
func queueAlert(t *testing.T, dests ...string) (*store.Store, model.Alert) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "ituwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := sampleAlert()
	a.ID = 0
	if err := st.SaveItems(context.Background(), []model.ItemSave{{Item: a.Item, Fingerprint: a.Item.Fingerprint(), Alert: &a, Destinations: dests}})[0]; err != nil {
		t.Fatal(err)
	}
	return st, a
}

// crashingOutbox loses the first MarkDelivered: the process died after
// Slack accepted the message and before the store recorded it.
type crashingOutbox struct {
	*store.Store
	crashed bool
}

func (o *crashingOutbox) MarkDelivered(ctx context.Context, id int64, ext string, at time.Time) error {
	if !o.crashed {
		o.crashed = true
		return errors.New("killed before the store recorded the delivery")
	}
	return o.Store.MarkDelivered(ctx, id, ext, at)
}

func newDispatcher(c *Client, o notify.Outbox, now *time.Time) *notify.Dispatcher {
	return notify.NewDispatcher(notify.DispatcherOptions{
		Outbox:    o,
		Notifiers: map[string]notify.Notifier{"slack": c},
		Now:       func() time.Time { return *now },
	})
}

// destination returns what the store says about one destination.
func destination(t *testing.T, st *store.Store, dest string) model.DestinationStatus {
	t.Helper()
	all, err := st.DestinationStatuses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range all {
		if d.Destination == dest {
			return d
		}
	}
	t.Fatalf("no deliveries to %s in the store", dest)
	return model.DestinationStatus{}
}

func TestDispatcherWaitsOutRateLimitAndDeliversOnce(t *testing.T) {
	f := newFakeSlack(t)
	f.failPost = func(n int, w http.ResponseWriter) bool {
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	}
	c, _ := newTestClient(t, f, nil)
	st, a := queueAlert(t, "slack:#itu-alerts")
	now := time.Now()
	d := newDispatcher(c, st, &now)
	ctx := context.Background()

	if n, err := d.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("first pass: %d delivered, err %v; want the rate limit", n, err)
	}
	next, pending, err := st.NextDue(ctx)
	if err != nil || !pending || next.Sub(now) != 2*time.Second {
		t.Fatalf("after the 429: pending %v, next attempt in %v (err %v); want pending, 2s", pending, next.Sub(now), err)
	}
	if n, _ := d.DeliverDue(ctx); n != 0 {
		t.Fatal("delivered before Retry-After passed")
	}
	now = now.Add(2 * time.Second)
	if n, err := d.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("after the wait: %d delivered, err %v", n, err)
	}
	if n, _ := d.DeliverDue(ctx); n != 0 {
		t.Fatal("delivered again")
	}
	if got := len(f.acceptedPosts()); got != 1 {
		t.Errorf("%d messages in Slack, want exactly 1", got)
	}
	if ts, err := st.ThreadID(ctx, a.ID, "slack:#itu-alerts"); err != nil || ts == "" {
		t.Errorf("stored ts %q (err %v), want the message's ts", ts, err)
	}
}

func TestDispatcherPermanentErrorStopsOnlyThatDestination(t *testing.T) {
	f := newFakeSlack(t)
	// An archived channel refuses for good (a channel the bot is not in
	// is held instead: held_test.go).
	f.failPost = func(n int, w http.ResponseWriter) bool {
		f.mu.Lock()
		gone := f.posts[n-1].Get("channel") == "#gone"
		f.mu.Unlock()
		if gone {
			slackError(w, "is_archived")
		}
		return gone
	}
	c, _ := newTestClient(t, f, nil)
	st, a := queueAlert(t, "slack:#gone", "slack:#itu-alerts")
	now := time.Now()
	d := newDispatcher(c, st, &now)
	ctx := context.Background()
	if n, err := d.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("%d delivered, err %v; want 1", n, err)
	}
	gone := destination(t, st, "slack:#gone")
	if gone.Failed != 1 || gone.Pending != 0 || !strings.Contains(gone.LastError, "#gone") || !strings.Contains(gone.LastError, "archived") {
		t.Errorf("failed destination recorded as %+v", gone)
	}
	posts := f.count("chat.postMessage")
	now = now.Add(time.Hour)
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if f.count("chat.postMessage") != posts {
		t.Error("a permanently failed delivery was tried again")
	}
	if ts, _ := st.ThreadID(ctx, a.ID, "slack:#itu-alerts"); ts == "" {
		t.Error("the other destination was not delivered")
	}
}

func TestCrashBetweenSlackAndStoreLosesNothingAndPostsOnce(t *testing.T) {
	f := newFakeSlack(t)
	st, a := queueAlert(t, "slack:#itu-alerts") // written before either run started
	o := &crashingOutbox{Store: st}
	now := time.Now()
	ctx := context.Background()

	c1, _ := newTestClient(t, f, nil)
	if _, err := newDispatcher(c1, o, &now).DeliverDue(ctx); err == nil {
		t.Fatal("the lost record went unnoticed")
	}
	if dl := destination(t, st, "slack:#itu-alerts"); dl.Pending != 1 || dl.Failed != 0 {
		t.Fatalf("after the crash: %+v; want the delivery still pending", dl)
	}

	// Restart: a new client and dispatcher find the delivery pending, still
	// at attempt 1, and the message already in Slack.
	c2, _ := newTestClient(t, f, nil)
	if n, err := newDispatcher(c2, o, &now).DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("after restart: %d delivered, err %v", n, err)
	}
	if posts := f.acceptedPosts(); len(posts) != 1 {
		t.Fatalf("%d messages in Slack, want 1", len(posts))
	}
	ts, err := st.ThreadID(ctx, a.ID, "slack:#itu-alerts")
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	first := f.messages[alertsID][0].TS
	f.mu.Unlock()
	if ts != first {
		t.Errorf("recorded ts %q, want the first post's %q", ts, first)
	}
}
