package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
)

// fakeOutbox is an in-memory outbox with the store's semantics.
type fakeOutbox struct {
	mu         sync.Mutex
	deliveries map[int64]*model.Delivery
	alerts     map[int64]model.Alert
	nextID     int64
	clock      *bottest.Clock
}

func newFakeOutbox(clock *bottest.Clock) *fakeOutbox {
	return &fakeOutbox{deliveries: map[int64]*model.Delivery{}, alerts: map[int64]model.Alert{}, clock: clock}
}

// add stores an alert (if new) and one pending delivery of it, due now.
func (o *fakeOutbox) add(a model.Alert, dest string) int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.alerts[a.ID] = a
	o.nextID++
	now := o.clock.Now()
	o.deliveries[o.nextID] = &model.Delivery{ID: o.nextID, AlertID: a.ID, Destination: dest, Status: model.DeliveryPending, NextAttempt: now, CreatedAt: now}
	return o.nextID
}

func (o *fakeOutbox) get(id int64) model.Delivery {
	o.mu.Lock()
	defer o.mu.Unlock()
	return *o.deliveries[id]
}

func (o *fakeOutbox) PendingDeliveries(_ context.Context, limit int) ([]model.Delivery, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []model.Delivery
	for _, d := range o.deliveries {
		if d.Status == model.DeliveryPending {
			out = append(out, *d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (o *fakeOutbox) NextDue(context.Context) (time.Time, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var next time.Time
	ok := false
	for _, d := range o.deliveries {
		if d.Status == model.DeliveryPending && (!ok || d.NextAttempt.Before(next)) {
			next, ok = d.NextAttempt, true
		}
	}
	return next, ok, nil
}

func (o *fakeOutbox) pending(id int64) (*model.Delivery, error) {
	d, ok := o.deliveries[id]
	if !ok || d.Status != model.DeliveryPending {
		return nil, fmt.Errorf("no pending delivery %d", id)
	}
	return d, nil
}

func (o *fakeOutbox) MarkDelivered(_ context.Context, id int64, ext string, at time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	d, err := o.pending(id)
	if err != nil {
		return err
	}
	d.Status, d.ExternalID, d.DeliveredAt = model.DeliveryDelivered, ext, at
	d.Attempts++
	return nil
}

func (o *fakeOutbox) MarkRetry(_ context.Context, id int64, next time.Time, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	d, err := o.pending(id)
	if err != nil {
		return err
	}
	d.NextAttempt, d.LastError = next, reason
	d.Attempts++
	return nil
}

func (o *fakeOutbox) MarkHeld(_ context.Context, id int64, since, next time.Time, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	d, err := o.pending(id)
	if err != nil {
		return err
	}
	d.HeldSince, d.NextAttempt, d.LastError = since, next, reason
	return nil
}

func (o *fakeOutbox) MarkFailed(_ context.Context, id int64, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	d, err := o.pending(id)
	if err != nil {
		return err
	}
	d.Status, d.LastError = model.DeliveryFailed, reason
	d.Attempts++
	return nil
}

func (o *fakeOutbox) ThreadID(_ context.Context, alertID int64, dest string) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, d := range o.deliveries {
		if d.AlertID == alertID && d.Destination == dest && d.Status == model.DeliveryDelivered {
			return d.ExternalID, nil
		}
	}
	return "", nil
}

func (o *fakeOutbox) Alert(_ context.Context, id int64) (model.Alert, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	a, ok := o.alerts[id]
	if !ok {
		return model.Alert{}, errors.New("not found")
	}
	return a, nil
}

// fakeNotifier records what it was sent and answers with fn.
type fakeNotifier struct {
	mu       sync.Mutex
	sent     []Outgoing
	inFlight map[string]int
	overlap  bool // two sends to one target at once
	fn       func(ctx context.Context, msg Outgoing) (string, error)
}

func (n *fakeNotifier) Send(ctx context.Context, msg Outgoing) (string, error) {
	n.mu.Lock()
	if n.inFlight == nil {
		n.inFlight = map[string]int{}
	}
	n.inFlight[msg.Target]++
	if n.inFlight[msg.Target] > 1 {
		n.overlap = true
	}
	n.sent = append(n.sent, msg)
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		n.inFlight[msg.Target]--
		n.mu.Unlock()
	}()
	if n.fn != nil {
		return n.fn(ctx, msg)
	}
	return fmt.Sprintf("ext-%d", msg.DeliveryID), nil
}

// sentTo lists the delivery ids sent to target, in order.
func (n *fakeNotifier) sentTo(target string) []int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	var ids []int64
	for _, m := range n.sent {
		if m.Target == target {
			ids = append(ids, m.DeliveryID)
		}
	}
	return ids
}

func (n *fakeNotifier) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.sent)
}

func newTestDispatcher(o *fakeOutbox, clock *bottest.Clock, notifiers map[string]Notifier) *Dispatcher {
	d := NewDispatcher(DispatcherOptions{Outbox: o, Notifiers: notifiers, Logger: bottest.QuietLogger(), Now: clock.Now})
	d.jitter = func() float64 { return 0 }
	return d
}

func alertN(id int64) model.Alert {
	return model.Alert{ID: id, Kind: model.AlertNew, Item: model.Item{SourceID: "s", ID: fmt.Sprint(id), Title: fmt.Sprintf("item %d", id)}}
}

func equalIDs(a, b []int64) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func TestDispatcherDeliversInOrderPerDestination(t *testing.T) {
	clock := &bottest.Clock{T: bottest.T0}
	o := newFakeOutbox(clock)
	// Slow sends make overlapping sends to one target likely if the
	// dispatcher allowed them.
	slack := &fakeNotifier{fn: func(ctx context.Context, m Outgoing) (string, error) {
		for range 1000 {
			_ = ctx.Err()
		}
		return fmt.Sprintf("ts-%d", m.DeliveryID), nil
	}}
	var wantA, wantB []int64
	for i := int64(1); i <= 6; i++ {
		wantA = append(wantA, o.add(alertN(i), "slack:#a"))
		wantB = append(wantB, o.add(alertN(i), "slack:#b"))
	}
	d := newTestDispatcher(o, clock, map[string]Notifier{"slack": slack})
	n, err := d.DeliverDue(context.Background())
	if err != nil || n != 12 {
		t.Fatalf("DeliverDue = %d, %v; want 12, nil", n, err)
	}
	if got := slack.sentTo("#a"); !equalIDs(got, wantA) {
		t.Errorf("order to #a = %v, want %v", got, wantA)
	}
	if got := slack.sentTo("#b"); !equalIDs(got, wantB) {
		t.Errorf("order to #b = %v, want %v", got, wantB)
	}
	if slack.overlap {
		t.Error("two deliveries were sent to one target at the same time")
	}
	for _, id := range append(wantA, wantB...) {
		dl := o.get(id)
		if dl.Status != model.DeliveryDelivered || dl.ExternalID != fmt.Sprintf("ts-%d", id) || !dl.DeliveredAt.Equal(bottest.T0) {
			t.Errorf("delivery %d = %+v, want delivered as ts-%d at %v", id, dl, id, bottest.T0)
		}
	}
	for _, m := range slack.sent {
		if m.Attempt != 1 {
			t.Errorf("delivery %d: Attempt = %d, want 1", m.DeliveryID, m.Attempt)
		}
	}
	if n, _ := d.DeliverDue(context.Background()); n != 0 || slack.count() != 12 {
		t.Errorf("second pass sent again: %d delivered, %d sends", n, slack.count())
	}
}

func TestDispatcherRetryAfterHoldsOnlyThatDestination(t *testing.T) {
	clock := &bottest.Clock{T: bottest.T0}
	o := newFakeOutbox(clock)
	limited := true
	slack := &fakeNotifier{fn: func(_ context.Context, m Outgoing) (string, error) {
		if m.Target == "#a" && limited {
			limited = false
			return "", &RetryAfterError{After: 30 * time.Second, Err: errors.New("ratelimited")}
		}
		return fmt.Sprintf("ts-%d", m.DeliveryID), nil
	}}
	d1 := o.add(alertN(1), "slack:#a")
	d2 := o.add(alertN(2), "slack:#a")
	d3 := o.add(alertN(3), "slack:#b")
	d := newTestDispatcher(o, clock, map[string]Notifier{"slack": slack})

	if n, err := d.DeliverDue(context.Background()); n != 1 || err != nil {
		t.Fatalf("first pass = %d, %v; want 1 delivered (to #b)", n, err)
	}
	first := o.get(d1)
	if first.Status != model.DeliveryPending || !first.NextAttempt.Equal(bottest.T0.Add(30*time.Second)) || first.Attempts != 1 {
		t.Errorf("rate-limited delivery = %+v, want pending until %v after 1 attempt", first, bottest.T0.Add(30*time.Second))
	}
	if !strings.Contains(first.LastError, "ratelimited") {
		t.Errorf("last error %q does not say why", first.LastError)
	}
	if got := slack.sentTo("#a"); !equalIDs(got, []int64{d1}) {
		t.Errorf("sent to #a = %v, want only %d: a later delivery overtook one waiting for its retry", got, d1)
	}
	if o.get(d3).Status != model.DeliveryDelivered {
		t.Errorf("#b was held back by #a's rate limit")
	}

	clock.Advance(29 * time.Second)
	if n, _ := d.DeliverDue(context.Background()); n != 0 {
		t.Errorf("pass before the retry time delivered %d, want 0", n)
	}
	clock.Advance(time.Second)
	if n, err := d.DeliverDue(context.Background()); n != 2 || err != nil {
		t.Fatalf("pass at the retry time = %d, %v; want 2", n, err)
	}
	if got := slack.sentTo("#a"); !equalIDs(got, []int64{d1, d1, d2}) {
		t.Errorf("sent to #a = %v, want %v", got, []int64{d1, d1, d2})
	}
	if got := slack.sent[len(slack.sent)-2]; got.Attempt != 2 {
		t.Errorf("retry went out as attempt %d, want 2", got.Attempt)
	}
}

func TestDispatcherPermanentFailure(t *testing.T) {
	clock := &bottest.Clock{T: bottest.T0}
	o := newFakeOutbox(clock)
	slack := &fakeNotifier{fn: func(_ context.Context, m Outgoing) (string, error) {
		if m.DeliveryID == 1 {
			return "", Permanent(errors.New(`channel "#gone" not found; invite the bot or fix the destination`))
		}
		return "ts", nil
	}}
	o.add(alertN(1), "slack:#gone")
	o.add(alertN(2), "slack:#gone")
	o.add(alertN(3), "matrix:!room:example.org")
	o.add(alertN(4), "teams:x")
	d := newTestDispatcher(o, clock, map[string]Notifier{"slack": slack})
	n, err := d.DeliverDue(context.Background())
	if n != 1 || err != nil {
		t.Fatalf("DeliverDue = %d, %v; want 1", n, err)
	}
	tests := []struct {
		id     int64
		status model.DeliveryStatus
		reason string
	}{
		{1, model.DeliveryFailed, `channel "#gone" not found`},
		{2, model.DeliveryDelivered, ""}, // a failed delivery does not hold back the next
		{3, model.DeliveryFailed, "no matrix account configured; add a matrix section to the config"},
		{4, model.DeliveryFailed, `unknown platform "teams"`},
	}
	for _, tt := range tests {
		got := o.get(tt.id)
		if got.Status != tt.status || !strings.Contains(got.LastError, tt.reason) {
			t.Errorf("delivery %d = %s %q, want %s containing %q", tt.id, got.Status, got.LastError, tt.status, tt.reason)
		}
	}
}

func TestDispatcherBackoff(t *testing.T) {
	clock := &bottest.Clock{T: bottest.T0}
	o := newFakeOutbox(clock)
	tests := []struct {
		attempts int
		jitter   float64
		want     time.Duration
	}{
		{0, 0, 2500 * time.Millisecond},
		{0, 0.99999, 5 * time.Second},
		{2, 0, 10 * time.Second}, // step 20s
		{3, 0.5, 30 * time.Second},
		{20, 0, 450 * time.Second}, // capped at 15m
		{200, 0.99999, 15 * time.Minute},
	}
	for _, tt := range tests {
		d := newTestDispatcher(o, clock, nil)
		d.jitter = func() float64 { return tt.jitter }
		got := d.backoff(tt.attempts).Round(10 * time.Millisecond)
		if got != tt.want {
			t.Errorf("backoff(%d) with jitter %v = %v, want %v", tt.attempts, tt.jitter, got, tt.want)
		}
	}

	// A transient error schedules the retry with that backoff.
	id := o.add(alertN(1), "slack:#a")
	o.mu.Lock()
	o.deliveries[id].Attempts = 2
	o.mu.Unlock()
	slack := &fakeNotifier{fn: func(context.Context, Outgoing) (string, error) { return "", errors.New("connection reset") }}
	d := newTestDispatcher(o, clock, map[string]Notifier{"slack": slack})
	if _, err := d.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := o.get(id); !got.NextAttempt.Equal(bottest.T0.Add(10*time.Second)) || got.Attempts != 3 || got.LastError != "connection reset" {
		t.Errorf("after a transient error: %+v, want retry at +10s, 3 attempts", got)
	}
	if slack.sent[0].Attempt != 3 {
		t.Errorf("Attempt = %d, want 3", slack.sent[0].Attempt)
	}
}

func TestDispatcherPassesThreadOfParent(t *testing.T) {
	clock := &bottest.Clock{T: bottest.T0}
	o := newFakeOutbox(clock)
	matrix := &fakeNotifier{fn: func(_ context.Context, m Outgoing) (string, error) {
		return fmt.Sprintf("$event%d", m.Alert.ID), nil
	}}
	parent := alertN(40)
	child := alertN(41)
	child.Kind, child.ParentID = model.AlertUpdate, 40
	o.add(parent, "matrix:!a:example.org")
	o.add(parent, "matrix:!b:example.org")
	o.add(child, "matrix:!a:example.org")
	o.add(child, "matrix:!c:example.org") // the parent never went there
	d := newTestDispatcher(o, clock, map[string]Notifier{"matrix": matrix})
	if _, err := d.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	threads := map[string]string{}
	for _, m := range matrix.sent {
		if m.Alert.ID == 41 {
			threads[m.Target] = m.ThreadID
		} else if m.ThreadID != "" {
			t.Errorf("new alert sent with thread %q", m.ThreadID)
		}
	}
	if threads["!a:example.org"] != "$event40" || threads["!c:example.org"] != "" || len(threads) != 2 {
		t.Errorf("update threads = %v, want !a under $event40 and !c unthreaded", threads)
	}
}

func TestDispatcherRecoversFromNotifierPanic(t *testing.T) {
	clock := &bottest.Clock{T: bottest.T0}
	o := newFakeOutbox(clock)
	boom := &fakeNotifier{fn: func(context.Context, Outgoing) (string, error) { panic("nil map") }}
	ok := &fakeNotifier{}
	p := o.add(alertN(1), "slack:#a")
	c := o.add(alertN(1), "console")
	d := newTestDispatcher(o, clock, map[string]Notifier{"slack": boom, "console": ok})
	n, err := d.DeliverDue(context.Background())
	if n != 1 || err != nil {
		t.Fatalf("DeliverDue = %d, %v; want 1, nil", n, err)
	}
	got := o.get(p)
	if got.Status != model.DeliveryPending || !strings.Contains(got.LastError, "crashed") || !got.NextAttempt.After(bottest.T0) {
		t.Errorf("panicking delivery = %+v, want pending for a later retry with the crash as reason", got)
	}
	if o.get(c).Status != model.DeliveryDelivered {
		t.Error("the console delivery was not made")
	}
	if ok.sent[0].Target != "" {
		t.Errorf("console target = %q, want empty", ok.sent[0].Target)
	}
}

func TestDispatcherShutdownLeavesDeliveryPending(t *testing.T) {
	clock := &bottest.Clock{T: bottest.T0}
	o := newFakeOutbox(clock)
	started := make(chan struct{})
	slow := &fakeNotifier{fn: func(ctx context.Context, _ Outgoing) (string, error) {
		close(started)
		<-ctx.Done()
		return "", ctx.Err()
	}}
	id := o.add(alertN(1), "slack:#a")
	d := newTestDispatcher(o, clock, map[string]Notifier{"slack": slow})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := o.get(id); got.Status != model.DeliveryPending || got.Attempts != 0 || !got.NextAttempt.Equal(bottest.T0) {
		t.Errorf("after shutdown mid-send: %+v, want pending, untouched", got)
	}
}

func TestDispatcherRunWakes(t *testing.T) {
	clock := &bottest.Clock{T: bottest.T0}
	o := newFakeOutbox(clock)
	got := make(chan int64, 10)
	n := &fakeNotifier{fn: func(_ context.Context, m Outgoing) (string, error) {
		got <- m.DeliveryID
		return "x", nil
	}}
	d := newTestDispatcher(o, clock, map[string]Notifier{"console": n})
	first := o.add(alertN(1), "console")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	if id := <-got; id != first {
		t.Fatalf("first send was delivery %d, want %d", id, first)
	}
	second := o.add(alertN(2), "console")
	d.Wake()
	d.Wake() // never blocks
	if id := <-got; id != second {
		t.Fatalf("after Wake sent delivery %d, want %d", id, second)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run returned %v after cancel, want nil", err)
	}
}

func TestConsoleNotifier(t *testing.T) {
	var buf bytes.Buffer
	c := NewConsoleNotifier(&buf, false)
	id, err := c.Send(context.Background(), Outgoing{DeliveryID: 7, Alert: bottest.NewIP()})
	if err != nil || id != "console-7" {
		t.Fatalf("Send = %q, %v; want console-7", id, err)
	}
	if buf.String() != render.FormatText(bottest.NewIP())+"\n" {
		t.Errorf("text output = %q", buf.String())
	}

	buf.Reset()
	j := NewConsoleNotifier(&buf, true)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := j.Send(context.Background(), Outgoing{DeliveryID: int64(i), Alert: bottest.MultiTopic()}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 20 {
		t.Fatalf("%d lines for 20 alerts", len(lines))
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("interleaved or invalid JSON line: %.80s", l)
		}
	}
}

func TestConsoleNotifierLinksTheWebView(t *testing.T) {
	for _, jsonLines := range []bool{false, true} {
		var buf bytes.Buffer
		c := NewConsoleNotifier(&buf, jsonLines).WithPermalinks("https://itu.example.org/")
		if _, err := c.Send(context.Background(), Outgoing{DeliveryID: 7, Alert: bottest.NewIP()}); err != nil {
			t.Fatal(err)
		}
		want := "open in ituwatch: https://itu.example.org/alerts/42\n"
		if jsonLines {
			want = `"permalink":"https://itu.example.org/alerts/42"`
		}
		if !strings.Contains(buf.String(), want) {
			t.Errorf("json %v: console output without %q:\n%s", jsonLines, want, buf.String())
		}
	}
}
