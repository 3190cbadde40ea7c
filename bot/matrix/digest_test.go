package matrix

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/digest"
	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// A digest page is one m.notice with an HTML body that passes the policy
// and a plain body, through the client-server API.
func TestSendDigestGolden(t *testing.T) {
	f := newFakeHomeserver(t)
	c, _ := newTestClient(t, f, newMemState(), nil)
	if _, err := c.Send(context.Background(), notify.Outgoing{DeliveryID: 9, Alert: bottest.Digest(), Target: alertsRoom, Attempt: 1}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	ev := f.waitSent(t)
	body, _ := ev.Content["body"].(string)
	fb, _ := ev.Content["formatted_body"].(string)
	checkHTML(t, fb)
	for _, want := range []string{"Daily digest #2001 · page 1 of 2", "3 matches muted here", "Draft Resolution on the ITU's role in Internet governance https://www.itu.int/md/S26-CL-C-0051/en", "doc C26/51 Rev.2 [E, F]", "3 alerts (Rev.1, Rev.2)", "!itu digest now"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	golden(t, "digest.golden.json", indentJSON(t, ev.Raw))
}

func TestDigestIsNeutralised(t *testing.T) {
	ct := alertContent(render.NewAlertView(bottest.HostileDigest(), render.ViewOptions{CommandPrefix: CommandPrefix + " "}))
	checkHTML(t, ct.FormattedBody)
	if strings.Contains(ct.Body, "@room") || strings.Contains(ct.FormattedBody, "@room") {
		t.Errorf("the digest pings the room:\n%s\n%s", ct.Body, ct.FormattedBody)
	}
	for _, bad := range []string{"<img", "<script", "<b>", "javascript:"} {
		if strings.Contains(ct.FormattedBody, bad) {
			t.Errorf("%s survived: %s", bad, ct.FormattedBody)
		}
	}
}

// The largest pages Build makes fit a Matrix event with room to spare:
// under 32 KiB of content, every character escaped.
func TestDigestPagesFitMatrix(t *testing.T) {
	var entries []model.DigestEntry
	for i := range 300 {
		entries = append(entries, model.DigestEntry{
			AlertID: int64(i + 1), CreatedAt: time.Unix(int64(i), 0),
			Item: model.Item{SourceID: strings.Repeat("&", 80), Title: strings.Repeat("<&>\"", 100),
				Link: "https://www.itu.int/" + strings.Repeat("a&b", 90), Document: &model.DocumentRef{Number: strings.Repeat("&", 70), Revision: "Rev.9"}},
			Matches: []model.Match{{Topic: fmt.Sprintf("topic-%d", i%7), TopicName: strings.Repeat("<", 80)}},
			AlsoBy:  []string{strings.Repeat("&", 60), strings.Repeat("<", 60)},
		})
	}
	pages, _ := digest.Build(model.DigestPlan{Destination: "matrix:!r:x", Schedule: "weekly"}, time.Time{}, time.Unix(999, 0), entries, 0)
	for _, pg := range pages {
		pg.ID = 9
		ct := alertContent(render.NewAlertView(pg, render.ViewOptions{CommandPrefix: CommandPrefix + " "}))
		if n := len(ct.Body) + len(ct.FormattedBody); n > 32<<10 {
			t.Errorf("page %d of %d is %d bytes", pg.Digest.Page, pg.Digest.Pages, n)
		}
	}
}

// Pages after the first are thread replies to it, sent through the real
// dispatcher and store.
func TestDigestPagesThreadInMatrix(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "ituwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dest := "matrix:" + alertsRoom
	for i := range 25 {
		it := model.Item{SourceID: "itu-news", ID: fmt.Sprint(i), Title: fmt.Sprintf("Story %d", i), Link: fmt.Sprintf("https://www.itu.int/%d", i)}
		a := &model.Alert{Kind: model.AlertNew, Item: it, Matches: []model.Match{{Topic: "new-ip", Severity: model.SeverityMedium}}}
		if err := st.SaveItems(ctx, []model.ItemSave{{Item: it, Fingerprint: it.ID, Alert: a, DigestDestinations: []string{dest}}})[0]; err != nil {
			t.Fatal(err)
		}
	}
	later := time.Now().Add(8 * 24 * time.Hour)
	closer := digest.NewCloser(digest.Options{Store: st, Plans: []model.DigestPlan{{Destination: dest, Schedule: "weekly", Timezone: "Europe/Zurich"}}, Now: func() time.Time { return later }})
	if n, _, err := closer.CloseDue(ctx); err != nil || n != 1 {
		t.Fatalf("CloseDue = %d, %v", n, err)
	}
	f := newFakeHomeserver(t)
	c, _ := newTestClient(t, f, newMemState(), nil)
	d := notify.NewDispatcher(notify.DispatcherOptions{Outbox: st, Notifiers: map[string]notify.Notifier{"matrix": c}})
	if n, err := d.DeliverDue(ctx); err != nil || n != 2 {
		t.Fatalf("DeliverDue = %d, %v; want 2 pages", n, err)
	}
	first, second := f.waitSent(t), f.waitSent(t)
	if first.Content["m.relates_to"] != nil {
		t.Errorf("the first page is in a thread: %v", first.Content["m.relates_to"])
	}
	rel, _ := second.Content["m.relates_to"].(map[string]any)
	if rel["rel_type"] != "m.thread" || rel["event_id"] != first.EventID {
		t.Errorf("second page relates %v, want a thread under %s", rel, first.EventID)
	}
	b1, _ := first.Content["body"].(string)
	b2, _ := second.Content["body"].(string)
	if n := strings.Count(b1+b2, "Story "); n != 25 {
		t.Errorf("%d stories across the pages, want 25", n)
	}
}
