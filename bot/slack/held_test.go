package slack

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// channelGate makes the fake Slack refuse posts to channels the bot is not
// in, with the code Slack gives for each case: not_in_channel for a public
// channel, channel_not_found for a private one it cannot see.
type channelGate struct {
	mu      sync.Mutex
	outside map[string]string // channel as routed -> Slack's error code
	refused int
}

func (g *channelGate) install(f *fakeSlack) {
	f.failPost = func(n int, w http.ResponseWriter) bool {
		f.mu.Lock()
		channel := f.posts[n-1].Get("channel")
		f.mu.Unlock()
		g.mu.Lock()
		code, out := g.outside[channel]
		if out {
			g.refused++
		}
		g.mu.Unlock()
		if out {
			slackError(w, code)
		}
		return out
	}
}

func (g *channelGate) invite(channel string) {
	g.mu.Lock()
	delete(g.outside, channel)
	g.mu.Unlock()
}

func (g *channelGate) refusals() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refused
}

// queueAlerts stores n alerts, each of its own item, with one pending
// delivery per destination, as the pipeline would.
func queueAlerts(t *testing.T, st *store.Store, n int, dests ...string) {
	t.Helper()
	for i := range n {
		a := sampleAlert()
		a.ID = 0
		a.Item.ID = fmt.Sprintf("C25-%d", 60+i)
		a.Item.Title = fmt.Sprintf("Council document %d on New IP", 60+i)
		if err := st.SaveItems(context.Background(), []model.ItemSave{{Item: a.Item, Fingerprint: a.Item.Fingerprint(), Alert: &a, Destinations: dests}})[0]; err != nil {
			t.Fatal(err)
		}
	}
}

// postedDeliveries lists the delivery ids of the messages Slack holds in a
// channel, oldest first.
func postedDeliveries(f *fakeSlack, channelID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, m := range f.messages[channelID] {
		out = append(out, fmt.Sprint(m.Metadata.EventPayload["delivery_id"]))
	}
	return out
}

func TestAlertsBeforeTheInviteAreHeldThroughARestartThenSentInOrder(t *testing.T) {
	f := newFakeSlack(t)
	gate := &channelGate{outside: map[string]string{"#itu-alerts": "not_in_channel"}}
	gate.install(f)
	dbPath := filepath.Join(t.TempDir(), "ituwatch.db")
	st, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	queueAlerts(t, st, 3, "slack:#itu-alerts", "slack:#policy")
	ctx := context.Background()
	now := time.Now()
	dispatcher := func(st *store.Store) *notify.Dispatcher {
		c, _ := newTestClient(t, f, nil)
		return notify.NewDispatcher(notify.DispatcherOptions{
			Outbox:    st,
			Notifiers: map[string]notify.Notifier{"slack": c},
			Logger:    slog.New(slog.DiscardHandler),
			Now:       func() time.Time { return now },
		})
	}

	d := dispatcher(st)
	if n, err := d.DeliverDue(ctx); err != nil || n != 3 {
		t.Fatalf("first pass: %d delivered, err %v; want the 3 to #policy", n, err)
	}
	if got := postedDeliveries(f, "C0POLICY1"); len(got) != 3 {
		t.Errorf("#policy got %v, want 3 alerts: the held channel delayed it", got)
	}
	if s := destination(t, st, "slack:#itu-alerts"); s.Failed != 0 || s.Pending != 3 {
		t.Fatalf("before the invite: %+v; want 3 owed, none failed", s)
	}

	// ituwatch restarts before anyone invites the bot: still held.
	st.Close()
	st, err = store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d = dispatcher(st)
	now = now.Add(time.Minute)
	if n, err := d.DeliverDue(ctx); err != nil || n != 0 {
		t.Fatalf("after the restart: %d delivered, err %v", n, err)
	}
	if s := destination(t, st, "slack:#itu-alerts"); s.Failed != 0 || s.Pending != 3 {
		t.Fatalf("after the restart: %+v; want 3 still owed, none failed", s)
	}

	gate.invite("#itu-alerts")
	now = now.Add(time.Minute)
	if n, err := d.DeliverDue(ctx); err != nil || n != 3 {
		t.Fatalf("after the invite: %d delivered, err %v; want 3", n, err)
	}
	if n, _ := d.DeliverDue(ctx); n != 0 {
		t.Errorf("a later pass delivered %d again", n)
	}
	if got, want := postedDeliveries(f, alertsID), []string{"1", "3", "5"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("#itu-alerts holds deliveries %v, want %v: in order, once each", got, want)
	}
	if s := destination(t, st, "slack:#itu-alerts"); s.Failed != 0 || s.Pending != 0 {
		t.Errorf("after the invite: %+v; want everything delivered", s)
	}
	if r := gate.refusals(); r != 2 {
		t.Errorf("%d refused posts, want 2 (one per pass before the invite)", r)
	}
}
