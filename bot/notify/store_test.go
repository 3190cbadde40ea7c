package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// The real store must satisfy the interfaces notify and chat declare.
var (
	_ Outbox       = (*store.Store)(nil)
	_ chat.Queries = (*store.Store)(nil)
)

// The router of these tests watches one topic and one source.
var (
	routerTopics  = []chat.TopicInfo{{ID: "new-ip", Name: "New IP", Severity: model.SeverityHigh}}
	routerSources = []chat.SourceInfo{{ID: "itu-news", Name: "ITU News", Type: "rss", URL: "https://www.itu.int/news/rss"}}
)

// TestWithRealStore runs the dispatcher and the router against SQLite: an
// alert and its update go out in order, the update threads under the
// original, a rate limit holds back only its destination, an unconfigured
// platform is recorded as failed, and the commands read it all back.
func TestWithRealStore(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	first := bottest.NewIP()
	first.ID = 0
	if err := st.SaveItems(ctx, []model.ItemSave{{Item: first.Item, Fingerprint: first.Item.Fingerprint(), Alert: &first,
		Destinations: []string{"slack:#policy", "console", "matrix:!room:example.org"}}})[0]; err != nil {
		t.Fatal(err)
	}
	id1 := first.ID
	second := bottest.NewIP()
	second.ID, second.Kind, second.ParentID, second.Change = 0, model.AlertUpdate, id1, "title changed"
	second.Item.Title += " (revised)"
	if err := st.SaveItems(ctx, []model.ItemSave{{Item: second.Item, Fingerprint: second.Item.Fingerprint(), Alert: &second,
		Destinations: []string{"slack:#policy", "console"}}})[0]; err != nil {
		t.Fatal(err)
	}
	id2 := second.ID

	// The store stamps deliveries with the real time; the dispatcher's clock
	// starts just after it.
	clock := &bottest.Clock{T: time.Now().Add(time.Second)}
	limited := true
	slack := &fakeNotifier{fn: func(_ context.Context, m Outgoing) (string, error) {
		if limited {
			limited = false
			return "", &RetryAfterError{After: time.Minute, Err: errors.New("ratelimited")}
		}
		return fmt.Sprintf("ts-%d", m.Alert.ID), nil
	}}
	var console bytes.Buffer
	d := newTestDispatcher(nil, clock, map[string]Notifier{"slack": slack, "console": NewConsoleNotifier(&console, false)})
	d.outbox = st

	if n, err := d.DeliverDue(ctx); n != 2 || err != nil {
		t.Fatalf("first pass = %d, %v; want the 2 console deliveries", n, err)
	}
	if i, j := strings.Index(console.String(), "NEW ALERT #"), strings.Index(console.String(), "UPDATE #"); i < 0 || j < i {
		t.Errorf("console output out of order:\n%s", console.String())
	}
	if len(slack.sent) != 1 {
		t.Fatalf("slack got %d sends in the first pass, want 1 (the update waits behind the rate-limited alert)", len(slack.sent))
	}
	clock.Advance(time.Minute)
	if n, err := d.DeliverDue(ctx); n != 2 || err != nil {
		t.Fatalf("second pass = %d, %v; want 2", n, err)
	}
	if got := slack.sent[2]; got.Alert.ID != id2 || got.ThreadID != fmt.Sprintf("ts-%d", id1) || got.Target != "#policy" {
		t.Errorf("update sent as %+v, want alert %d threaded under ts-%d", got, id2, id1)
	}
	if next, ok, err := st.NextDue(ctx); err != nil || ok {
		t.Errorf("NextDue = %v, %v, %v; want nothing pending", next, ok, err)
	}

	r := chat.NewRouter(chat.RouterOptions{Queries: st, Topics: routerTopics, Sources: routerSources, Now: clock.Now, Version: "test", Logger: bottest.QuietLogger()})
	admin := chat.Request{Platform: "slack", Channel: "C1", User: "U1", CanAdmin: true}
	steps := []struct {
		text string
		want []string
	}{
		{"status", []string{"Deliveries to matrix:!room:example.org", "1 failed", "no matrix account configured; add a matrix section to the config", "Deliveries to slack:#policy"}},
		{"recent new-ip", []string{fmt.Sprintf("#%d", id1), fmt.Sprintf("#%d · high · new-ip", id2), fmt.Sprintf("update of #%d: title changed", id1)}},
		{fmt.Sprintf("explain #%d", id1), []string{"matched “New IP”, “FG-NET2030”", "the so-called New IP proposal", "why it matters"}},
		{"explain 999", []string{"There is no alert #999."}},
		{"search FG-NET2030", []string{"FG-NET2030"}},
		{"topics", []string{"high · 2 alerts in the last 7 days, 2 in 30 days"}},
		{"subscribe new-ip", []string{"now receives new-ip alerts"}},
		{"subscriptions", []string{"new-ip", "New IP · high"}},
		{"sources", []string{"never polled"}},
	}
	for _, s := range steps {
		req := admin
		req.Text = s.text
		out := chat.RenderPlain(r.Handle(ctx, req))
		for _, w := range s.want {
			if !strings.Contains(out, w) {
				t.Errorf("%q: reply lacks %q:\n%s", s.text, w, out)
			}
		}
		clock.Advance(10 * time.Second)
	}
	if subs, err := st.Subscribers(ctx, "new-ip"); err != nil || fmt.Sprint(subs) != "[slack:C1]" {
		t.Errorf("Subscribers(new-ip) = %v, %v; want [slack:C1]", subs, err)
	}
}
