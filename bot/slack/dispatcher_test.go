package slack

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot"
	"github.com/ituwatch/ituwatch/model"
)

// memOutbox is the store's outbox in memory, for running the real
// bot.Dispatcher against the Slack client.
type memOutbox struct {
	mu         sync.Mutex
	alerts     map[int64]model.Alert
	deliveries map[int64]*model.Delivery
	// failMarkDelivered makes the next MarkDelivered fail: the process died
	// after Slack accepted the message and before the store recorded it.
	failMarkDelivered bool
}

func newMemOutbox(a model.Alert, dests ...string) *memOutbox {
	o := &memOutbox{alerts: map[int64]model.Alert{a.ID: a}, deliveries: map[int64]*model.Delivery{}}
	for i, d := range dests {
		id := int64(100 + i)
		o.deliveries[id] = &model.Delivery{ID: id, AlertID: a.ID, Destination: d, Status: model.DeliveryPending}
	}
	return o
}

func (o *memOutbox) DueDeliveries(_ context.Context, now time.Time, limit int) ([]model.Delivery, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []model.Delivery
	for _, d := range o.deliveries {
		if d.Status == model.DeliveryPending && !d.NextAttempt.After(now) {
			out = append(out, *d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (o *memOutbox) NextDue(context.Context) (time.Time, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var next time.Time
	found := false
	for _, d := range o.deliveries {
		if d.Status == model.DeliveryPending && (!found || d.NextAttempt.Before(next)) {
			next, found = d.NextAttempt, true
		}
	}
	return next, found, nil
}

func (o *memOutbox) MarkDelivered(_ context.Context, id int64, ext string, at time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failMarkDelivered {
		o.failMarkDelivered = false
		return errors.New("disk I/O error")
	}
	d := o.deliveries[id]
	d.Status, d.ExternalID, d.DeliveredAt = model.DeliveryDelivered, ext, at
	return nil
}

func (o *memOutbox) MarkRetry(_ context.Context, id int64, next time.Time, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.deliveries[id]
	d.Attempts++
	d.NextAttempt, d.LastError = next, reason
	return nil
}

func (o *memOutbox) MarkFailed(_ context.Context, id int64, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.deliveries[id]
	d.Attempts++
	d.Status, d.LastError = model.DeliveryFailed, reason
	return nil
}

func (o *memOutbox) ThreadID(context.Context, int64, string) (string, error) { return "", nil }

func (o *memOutbox) Alert(_ context.Context, id int64) (model.Alert, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, ok := o.alerts[id]
	if !ok {
		return model.Alert{}, errors.New("not found")
	}
	return a, nil
}

func (o *memOutbox) delivery(id int64) model.Delivery {
	o.mu.Lock()
	defer o.mu.Unlock()
	return *o.deliveries[id]
}

func newDispatcher(c *Client, o *memOutbox, now *time.Time) *bot.Dispatcher {
	return bot.NewDispatcher(bot.DispatcherOptions{
		Outbox:    o,
		Notifiers: map[string]bot.Notifier{"slack": c},
		Now:       func() time.Time { return *now },
	})
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
	o := newMemOutbox(sampleAlert(), "slack:#itu-alerts")
	now := time.Now()
	d := newDispatcher(c, o, &now)
	ctx := context.Background()

	if n, err := d.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("first pass: %d delivered, err %v; want the rate limit", n, err)
	}
	dl := o.delivery(100)
	if dl.Status != model.DeliveryPending || dl.NextAttempt.Sub(now) != 2*time.Second {
		t.Fatalf("after the 429: status %s, next attempt in %v; want pending, 2s", dl.Status, dl.NextAttempt.Sub(now))
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
	if dl := o.delivery(100); dl.Status != model.DeliveryDelivered || dl.ExternalID == "" {
		t.Errorf("delivery %+v, want delivered with a ts", dl)
	}
}

func TestDispatcherPermanentErrorStopsOnlyThatDestination(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	o := newMemOutbox(sampleAlert(), "slack:#gone", "slack:#itu-alerts")
	now := time.Now()
	d := newDispatcher(c, o, &now)
	ctx := context.Background()
	if n, err := d.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("%d delivered, err %v; want 1", n, err)
	}
	gone := o.delivery(100)
	if gone.Status != model.DeliveryFailed || !strings.Contains(gone.LastError, "#gone") || !strings.Contains(gone.LastError, "invite") {
		t.Errorf("failed delivery recorded as %s %q", gone.Status, gone.LastError)
	}
	posts := f.count("chat.postMessage")
	now = now.Add(time.Hour)
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if f.count("chat.postMessage") != posts {
		t.Error("a permanently failed delivery was tried again")
	}
	if o.delivery(101).Status != model.DeliveryDelivered {
		t.Error("the other destination was not delivered")
	}
}

func TestCrashBetweenSlackAndStoreLosesNothingAndPostsOnce(t *testing.T) {
	f := newFakeSlack(t)
	a := sampleAlert()
	a.CreatedAt = time.Now().Add(-time.Minute) // written before either run started
	o := newMemOutbox(a, "slack:#itu-alerts")
	o.failMarkDelivered = true
	now := time.Now()
	ctx := context.Background()

	c1, _ := newTestClient(t, f, nil)
	if _, err := newDispatcher(c1, o, &now).DeliverDue(ctx); err == nil {
		t.Fatal("the lost record went unnoticed")
	}
	if dl := o.delivery(100); dl.Status != model.DeliveryPending || dl.Attempts != 0 {
		t.Fatalf("after the crash: %+v; want pending with no attempt recorded", dl)
	}

	// Restart: a new client and dispatcher find the delivery pending, still
	// at attempt 1, and the message already in Slack.
	c2, _ := newTestClient(t, f, nil)
	if n, err := newDispatcher(c2, o, &now).DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("after restart: %d delivered, err %v", n, err)
	}
	posts := f.acceptedPosts()
	if len(posts) != 1 {
		t.Fatalf("%d messages in Slack, want 1", len(posts))
	}
	dl := o.delivery(100)
	if dl.Status != model.DeliveryDelivered || dl.ExternalID == "" {
		t.Fatalf("delivery %+v", dl)
	}
	f.mu.Lock()
	first := f.messages[alertsID][0].TS
	f.mu.Unlock()
	if dl.ExternalID != first {
		t.Errorf("recorded ts %q, want the first post's %q", dl.ExternalID, first)
	}
}
