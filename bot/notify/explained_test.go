package notify

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// TestWhyItMattersOncePerTopicDestinationAndDay plays the demo's pattern
// against SQLite: several alerts on one topic to the console and to two
// Slack channels. Each destination reads the "why it matters" paragraph in
// full once a day per topic and a one-line reference after that; that
// survives a restart (a new dispatcher on the same store); the next day it
// is in full again.
func TestWhyItMattersOncePerTopicDestinationAndDay(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	save := func(n int, dests ...string) int64 {
		t.Helper()
		a := bottest.NewIP()
		a.ID = 0
		a.Item.ID = fmt.Sprintf("guid-%d", n)
		a.Item.Title = fmt.Sprintf("New IP story %d", n)
		if err := st.SaveItems(ctx, []model.ItemSave{{Item: a.Item, Fingerprint: a.Item.Fingerprint(), Alert: &a, Destinations: dests}})[0]; err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	why := bottest.NewIP().Matches[0].Annotation
	slack := &fakeNotifier{fn: func(_ context.Context, m Outgoing) (string, error) { return fmt.Sprintf("ts-%d", m.DeliveryID), nil }}
	var console bytes.Buffer
	clock := &bottest.Clock{T: time.Now().Add(time.Second)}
	dispatcher := func() *Dispatcher {
		d := newTestDispatcher(nil, clock, map[string]Notifier{"slack": slack, "console": NewConsoleNotifier(&console, false)})
		d.outbox = st
		return d
	}
	deliver := func(d *Dispatcher, want int) {
		t.Helper()
		if n, err := d.DeliverDue(ctx); n != want || err != nil {
			t.Fatalf("DeliverDue = %d, %v; want %d", n, err, want)
		}
	}
	// Whether a delivery is the first of its day depends on the day it is
	// sent in: keep the test away from midnight.
	if h := clock.Now().UTC().Hour(); h == 23 {
		clock.Advance(2 * time.Hour)
	}

	first := save(1, "console", "slack:#a")
	save(2, "console")
	third := save(3, "console", "slack:#b")
	deliver(dispatcher(), 5)
	if n := strings.Count(console.String(), why); n != 1 {
		t.Errorf("console shows the paragraph %d times for 3 alerts, want once:\n%s", n, console.String())
	}
	if n := strings.Count(console.String(), "'explain "); n != 2 {
		t.Errorf("console has %d references, want 2:\n%s", n, console.String())
	}
	if !strings.Contains(console.String(), "why: as in today's first alert on this topic; 'explain "+fmt.Sprint(third)+"' in ituwatch chat repeats it") {
		t.Errorf("the reference does not name the command:\n%s", console.String())
	}
	for _, m := range slack.sent {
		if m.Explained["new-ip"] {
			t.Errorf("slack %s got alert %d as already explained; each channel gets its own first paragraph", m.Target, m.Alert.ID)
		}
	}

	// After a restart the store still knows what was shown today.
	console.Reset()
	clock.Advance(time.Hour)
	save(4, "console", "slack:#a")
	deliver(dispatcher(), 2)
	if strings.Contains(console.String(), why) || !strings.Contains(console.String(), "'explain ") {
		t.Errorf("after a restart the console got the paragraph again:\n%s", console.String())
	}
	if last := slack.sent[len(slack.sent)-1]; last.Target != "#a" || !last.Explained["new-ip"] {
		t.Errorf("second alert to #a: Explained = %v, want new-ip (alert %d was shown there)", last.Explained, first)
	}

	// The next bottest.Day, the paragraph is in full again.
	console.Reset()
	clock.Advance(24 * time.Hour)
	save(5, "console")
	deliver(dispatcher(), 1)
	if !strings.Contains(console.String(), why) {
		t.Errorf("the next day the console got no paragraph:\n%s", console.String())
	}
}
