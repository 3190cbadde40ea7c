package notify

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// membership answers like a platform that refuses targets the bot is not in.
type membership struct {
	mu      sync.Mutex
	outside map[string]bool
}

func (m *membership) let(target string) {
	m.mu.Lock()
	delete(m.outside, target)
	m.mu.Unlock()
}

func (m *membership) notifier() *fakeNotifier {
	return &fakeNotifier{fn: func(_ context.Context, msg Outgoing) (string, error) {
		m.mu.Lock()
		out := m.outside[msg.Target]
		m.mu.Unlock()
		if out {
			return "", Held(fmt.Errorf("the bot is not in %s yet: invite it", msg.Target))
		}
		return fmt.Sprintf("ts-%d", msg.DeliveryID), nil
	}}
}

func TestDispatcherHoldsOnlyTheDestinationTheBotIsNotIn(t *testing.T) {
	clock := &bottest.Clock{T: bottest.T0}
	o := newFakeOutbox(clock)
	m := &membership{outside: map[string]bool{"#a": true}}
	slack := m.notifier()
	a1 := o.add(alertN(1), "slack:#a")
	b1 := o.add(alertN(1), "slack:#b")
	a2 := o.add(alertN(2), "slack:#a")
	b2 := o.add(alertN(2), "slack:#b")
	d := newTestDispatcher(o, clock, map[string]Notifier{"slack": slack})
	ctx := context.Background()

	if n, err := d.DeliverDue(ctx); n != 2 || err != nil {
		t.Fatalf("first pass = %d, %v; want #b's 2", n, err)
	}
	if got := slack.sentTo("#b"); !equalIDs(got, []int64{b1, b2}) {
		t.Errorf("sent to #b = %v, want %v: a held destination delayed another", got, []int64{b1, b2})
	}
	first := o.get(a1)
	if first.Status != model.DeliveryPending || !first.HeldSince.Equal(bottest.T0) || first.Attempts != 0 ||
		!first.NextAttempt.Equal(bottest.T0.Add(5*time.Second)) || !strings.Contains(first.LastError, "invite it") {
		t.Errorf("refused delivery = %+v; want pending, held since %v, retried in 5s, no attempt counted, the reason kept", first, bottest.T0)
	}
	if got := slack.sentTo("#a"); !equalIDs(got, []int64{a1}) {
		t.Errorf("sent to #a = %v, want only %d: the later one must wait behind it", got, a1)
	}

	// The tries come quicker at first, then a minute apart at most.
	waits := []time.Duration{}
	for range 8 {
		next := o.get(a1).NextAttempt
		clock.Advance(next.Sub(clock.Now()))
		if n, err := d.DeliverDue(ctx); n != 0 || err != nil {
			t.Fatalf("pass while held = %d, %v", n, err)
		}
		waits = append(waits, o.get(a1).NextAttempt.Sub(clock.Now()))
	}
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, time.Minute, time.Minute, time.Minute}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits between tries = %v, want %v", waits, want)
	}
	if got := o.get(a1); !got.HeldSince.Equal(bottest.T0) || got.Attempts != 0 {
		t.Errorf("after more refusals: %+v; want still held since %v, no attempts counted", got, bottest.T0)
	}

	// The bot is invited: the next try sends both, in order, once.
	m.let("#a")
	clock.Advance(o.get(a1).NextAttempt.Sub(clock.Now()))
	if n, err := d.DeliverDue(ctx); n != 2 || err != nil {
		t.Fatalf("pass after the invite = %d, %v; want 2", n, err)
	}
	if got := slack.sentTo("#a"); len(got) != 11 || !equalIDs(got[9:], []int64{a1, a2}) {
		t.Errorf("sent to #a = %v; want 9 refused tries of %d, then %d and %d", got, a1, a1, a2)
	}
	if n, _ := d.DeliverDue(ctx); n != 0 {
		t.Errorf("a later pass delivered %d again", n)
	}
	if got := slack.sent[len(slack.sent)-2]; got.Attempt != 1 {
		t.Errorf("the held delivery went out as attempt %d, want 1: refusals post nothing", got.Attempt)
	}
}

func TestDispatcherHoldRunsOutWithTheReason(t *testing.T) {
	clock := &bottest.Clock{T: bottest.T0}
	o := newFakeOutbox(clock)
	m := &membership{outside: map[string]bool{"#a": true}}
	slack := m.notifier()
	a1 := o.add(alertN(1), "slack:#a")
	a2 := o.add(alertN(2), "slack:#a")
	d := NewDispatcher(DispatcherOptions{Outbox: o, Notifiers: map[string]Notifier{"slack": slack}, Logger: bottest.QuietLogger(), Now: clock.Now, HoldFor: time.Hour})
	ctx := context.Background()
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(50 * time.Minute)
	a3 := o.add(alertN(3), "slack:#a") // written while the channel is held

	clock.Advance(10*time.Minute - time.Second)
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := o.get(a1); got.Status != model.DeliveryPending {
		t.Fatalf("a second before the hold runs out: %s, want still pending", got.Status)
	}

	clock.Advance(time.Minute)
	sends := slack.count()
	if n, err := d.DeliverDue(ctx); n != 0 || err != nil {
		t.Fatalf("pass after the hold = %d, %v", n, err)
	}
	if slack.count() != sends+1 {
		t.Errorf("%d sends when the hold ran out, want 1: the first is tried once more, the rest not", slack.count()-sends)
	}
	for _, id := range []int64{a1, a2} {
		got := o.get(id)
		if got.Status != model.DeliveryFailed || !strings.Contains(got.LastError, "held for 1h0m0s waiting for the refusal to be fixed, then given up (delivery.hold_for)") ||
			!strings.Contains(got.LastError, "the bot is not in #a yet: invite it") {
			t.Errorf("delivery %d after the hold = %s %q; want failed, saying it waited and whom to invite", id, got.Status, got.LastError)
		}
	}
	// The one written later is held from when it was written.
	if got := o.get(a3); got.Status != model.DeliveryPending || !got.HeldSince.Equal(bottest.T0.Add(50*time.Minute)) {
		t.Errorf("the later delivery = %+v; want pending, held since it was written (%v)", got, bottest.T0.Add(50*time.Minute))
	}
	clock.Advance(50 * time.Minute)
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := o.get(a3); got.Status != model.DeliveryFailed {
		t.Errorf("the later delivery an hour after it was written: %s, want failed", got.Status)
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		DefaultHoldFor: "7 days", 24 * time.Hour: "1 day", 36 * time.Hour: "36h0m0s", 90 * time.Minute: "1h30m0s",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestHeldDestinationInStatus holds a destination in the real store and
// reads it back through the status command.
func TestHeldDestinationInStatus(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := range 3 {
		a := bottest.NewIP()
		a.ID = 0
		a.Item.ID = fmt.Sprintf("held-%d", i)
		if err := st.SaveItems(ctx, []model.ItemSave{{Item: a.Item, Fingerprint: a.Item.Fingerprint(), Alert: &a, Destinations: []string{"slack:#itu-alerts", "console"}}})[0]; err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now().UTC().Truncate(time.Minute).Add(time.Minute)
	clock := &bottest.Clock{T: start}
	m := &membership{outside: map[string]bool{"#itu-alerts": true}}
	d := newTestDispatcher(nil, clock, map[string]Notifier{"slack": m.notifier(), "console": &fakeNotifier{}})
	d.outbox = st
	if n, err := d.DeliverDue(ctx); n != 3 || err != nil {
		t.Fatalf("DeliverDue = %d, %v; want the 3 console deliveries", n, err)
	}
	clock.Advance(2 * time.Hour)
	r := chat.NewRouter(chat.RouterOptions{Queries: st, Topics: routerTopics, Sources: routerSources, Now: clock.Now, Version: "1.2.3", Logger: bottest.QuietLogger()})
	out := chat.RenderPlain(r.Handle(ctx, chat.Request{Text: "status", Platform: "slack", Channel: "C1", User: "U1"}))
	want := fmt.Sprintf("Deliveries to slack:#itu-alerts\n    3 held since %s — the bot is not in #itu-alerts yet: invite it; they will be sent in order once the bot can post", start.Format("15:04 UTC"))
	if !strings.Contains(out, want) {
		t.Errorf("status does not show the held channel plainly; want %q in:\n%s", want, out)
	}
	if strings.Contains(out, "last error:") || strings.Contains(out, "3 failed") {
		t.Errorf("status repeats the reason or calls it failed:\n%s", out)
	}

	// Once the bot is in, the destination is no longer shown as held.
	m.let("#itu-alerts")
	if n, err := d.DeliverDue(ctx); n != 3 || err != nil {
		t.Fatalf("after the invite: %d, %v; want 3", n, err)
	}
	out = chat.RenderPlain(r.Handle(ctx, chat.Request{Text: "status", Platform: "slack", Channel: "C1", User: "U1"}))
	if strings.Contains(out, "held") || !strings.Contains(out, "Deliveries to slack:#itu-alerts\n    nothing pending") {
		t.Errorf("after the invite, status says:\n%s", out)
	}
}
