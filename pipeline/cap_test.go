package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// severityMatcher matches every title with "New IP": critical when the
// title says so, low otherwise.
type severityMatcher struct{}

func (severityMatcher) Match(it *model.Item) []model.Match {
	if !strings.Contains(it.Title, "New IP") {
		return nil
	}
	sev := model.SeverityLow
	if strings.Contains(it.Title, "critical") {
		sev = model.SeverityCritical
	}
	return []model.Match{{Topic: "new-ip", Severity: sev, Score: 1}}
}

// floodBatch is n matching items with distinct titles and links, newer as
// i grows; every hundredth is critical.
func floodBatch(n int, now time.Time, suffix string) []model.Item {
	items := make([]model.Item, n)
	for i := range items {
		kind := "note"
		if i%100 == 0 {
			kind = "critical"
		}
		items[i] = model.Item{
			ID:        fmt.Sprintf("f%04d", i),
			Title:     fmt.Sprintf("New IP %s %d%s", kind, i, suffix),
			Link:      fmt.Sprintf("https://flood.example/%d", i),
			Published: now.Add(-time.Hour + time.Duration(i)*time.Second),
		}
	}
	return items
}

// word is a made-up word unique to i and c, so that titles built from
// such words never read as one story.
func word(i int, c byte) string { return string([]byte{c, 'q', byte('a' + i%26), byte('a' + i/26%26)}) }

type outboxView struct {
	alerts    map[string][]int64 // per destination, delivery order
	summaries map[string][]model.Alert
}

func readOutbox(t *testing.T, st *store.Store, after int64) outboxView {
	t.Helper()
	ctx := context.Background()
	due, err := st.PendingDeliveries(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	v := outboxView{alerts: map[string][]int64{}, summaries: map[string][]model.Alert{}}
	for _, d := range due {
		if d.ID <= after {
			continue
		}
		a, err := st.Alert(ctx, d.AlertID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Kind == model.AlertSummary {
			v.summaries[d.Destination] = append(v.summaries[d.Destination], a)
		} else {
			v.alerts[d.Destination] = append(v.alerts[d.Destination], d.AlertID)
		}
	}
	return v
}

func lastDelivery(t *testing.T, st *store.Store) int64 {
	t.Helper()
	due, err := st.PendingDeliveries(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) == 0 {
		return 0
	}
	return due[len(due)-1].ID
}

func TestIngestLimitsAlertsPerPollAndSummarises(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var alerts []model.Alert
	dests := map[int64][]string{}
	in := NewIngester(Options{
		Store:   st,
		Matcher: severityMatcher{},
		Routes:  fixedRoutes{"*": {{Platform: "slack", Target: "#itu-alerts"}, {Platform: "console"}}},
		Logger:  slog.New(slog.DiscardHandler),
		Now:     func() time.Time { return now },
		AlertLimit: func(source string) int {
			if source == "small" {
				return 3
			}
			return 20
		},
		OnAlert: func(a model.Alert, d []string) { alerts = append(alerts, a); dests[a.ID] = d },
	})

	const n, limit = 1000, 20
	if err := in.Ingest(ctx, "flood", floodBatch(n, now, "")); err != nil {
		t.Fatal(err)
	}
	v := readOutbox(t, st, 0)
	for _, dest := range []string{"console", "slack:#itu-alerts"} {
		if got := len(v.alerts[dest]); got != limit {
			t.Errorf("%s: %d alerts queued, want the limit of %d", dest, got, limit)
		}
		sums := v.summaries[dest]
		if len(sums) != 1 {
			t.Fatalf("%s: %d summaries queued, want 1", dest, len(sums))
		}
		h := sums[0].Held
		if h == nil || h.Count != n-limit || h.Source != "flood" || h.Limit != limit || h.Destination != dest || !slices.Equal(h.Topics, []string{"new-ip"}) {
			t.Errorf("%s: summary holds %+v, want %d held from flood, limit %d, topic new-ip", dest, h, n-limit, limit)
		}
		// The ten critical items, then the newest.
		var titles []string
		for _, id := range v.alerts[dest] {
			a, err := st.Alert(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			titles = append(titles, a.Item.Title)
		}
		for _, want := range []string{"New IP critical 0", "New IP critical 900", "New IP note 999", "New IP note 990"} {
			if !slices.Contains(titles, want) {
				t.Errorf("%s: the alerts sent are %v; want %q among them (critical first, then newest)", dest, titles, want)
			}
		}
		if slices.Contains(titles, "New IP note 989") {
			t.Errorf("%s: an older low alert was sent before a newer one", dest)
		}
	}
	// Every item alerted and is stored; only the sent ones have somewhere to go.
	var stored, held, summaries int
	for _, a := range alerts {
		switch {
		case a.Kind == model.AlertSummary:
			summaries++
		case len(dests[a.ID]) == 0:
			held++
			if len(a.HeldFrom) != 2 {
				t.Errorf("alert %d went nowhere but is held from %v", a.ID, a.HeldFrom)
			}
		}
		stored++
	}
	if stored != n+2 || held != n-limit || summaries != 2 {
		t.Errorf("stored %d alerts (%d held everywhere, %d summaries), want %d, %d and 2", stored, held, summaries, n+2, n-limit)
	}
	if got, err := st.RecentAlerts(ctx, "", 50); err != nil || len(got) != 50 || got[0].Kind == model.AlertSummary {
		t.Errorf("recent lists %d alerts (first %v), err %v; want 50 real alerts, no summary", len(got), got[0].Kind, err)
	}

	// The same poll again: nothing.
	mark := lastDelivery(t, st)
	alerts = nil
	if err := in.Ingest(ctx, "flood", floodBatch(n, now, "")); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 0 || lastDelivery(t, st) != mark {
		t.Errorf("an unchanged poll stored %d alerts and queued deliveries up to %d (was %d)", len(alerts), lastDelivery(t, st), mark)
	}

	// Every item revised: updates count toward the limit too.
	if err := in.Ingest(ctx, "flood", floodBatch(n, now, " (revised)")); err != nil {
		t.Fatal(err)
	}
	v = readOutbox(t, st, mark)
	for _, dest := range []string{"console", "slack:#itu-alerts"} {
		if len(v.alerts[dest]) != limit || len(v.summaries[dest]) != 1 || v.summaries[dest][0].Held.Count != n-limit {
			t.Errorf("%s after revising all: %d updates and summaries %+v; want %d and one of %d", dest, len(v.alerts[dest]), v.summaries[dest], limit, n-limit)
		}
	}

	// A source with its own limit; and one under its limit has no summary.
	mark = lastDelivery(t, st)
	small := floodBatch(5, now, " small")
	for i := range small {
		small[i].ID, small[i].Link = "s"+small[i].ID, small[i].Link+"/small"
		small[i].Title = fmt.Sprintf("New IP smaller %s %s %s", word(i, 'a'), word(i, 'b'), word(i, 'c'))
	}
	if err := in.Ingest(ctx, "small", small); err != nil {
		t.Fatal(err)
	}
	quiet := floodBatch(3, now, " quiet")
	for i := range quiet {
		quiet[i].ID, quiet[i].Link = "q"+quiet[i].ID, quiet[i].Link+"/quiet"
		quiet[i].Title = fmt.Sprintf("New IP quiet %s %s %s", word(i, 'd'), word(i, 'e'), word(i, 'f'))
	}
	if err := in.Ingest(ctx, "quiet", quiet); err != nil {
		t.Fatal(err)
	}
	v = readOutbox(t, st, mark)
	if got := len(v.alerts["console"]); got != 3+3 {
		t.Errorf("small (limit 3, 5 items) and quiet (3 items): %d alerts to the console, want 6", got)
	}
	if s := v.summaries["console"]; len(s) != 1 || s[0].Held.Source != "small" || s[0].Held.Count != 2 || s[0].Held.Limit != 3 {
		t.Errorf("summaries = %+v, want one: 2 more from small, limit 3", s)
	}
}

// A story the limit kept from every destination was never seen, so it
// must not swallow a later report of it from another source: that report
// alerts. Checked with the ingester that held it (its story index) and with
// a new one (the store's story candidates, as after a restart).
func TestHeldAlertIsNoStoryToJoin(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
			var alerts []model.Alert
			dests := map[int64][]string{}
			newIngester := func() *Ingester {
				return NewIngester(Options{
					Store:      st,
					Matcher:    severityMatcher{},
					Routes:     fixedRoutes{"*": {{Platform: "console"}}},
					Logger:     slog.New(slog.DiscardHandler),
					Now:        func() time.Time { return now },
					AlertLimit: func(string) int { return 20 },
					OnAlert:    func(a model.Alert, d []string) { alerts = append(alerts, a); dests[a.ID] = d },
				})
			}
			in := newIngester()
			if err := in.Ingest(ctx, "flood", floodBatch(100, now, "")); err != nil {
				t.Fatal(err)
			}
			var heldID int64
			for _, a := range alerts {
				if a.Item.Title == "New IP note 5" {
					heldID = a.ID
					if len(dests[a.ID]) != 0 {
						t.Fatalf("the old low item 5 was sent to %v; the test needs it held", dests[a.ID])
					}
				}
			}
			if heldID == 0 {
				t.Fatal("item 5 did not alert")
			}
			if restart {
				in = newIngester()
			}
			alerts = nil
			report := model.Item{ID: "r1", Title: "New IP note 5", Link: "https://wire.example/new-ip-5", Published: now}
			if err := in.Ingest(ctx, "wire", []model.Item{report}); err != nil {
				t.Fatal(err)
			}
			if len(alerts) != 1 || alerts[0].Kind != model.AlertNew || !slices.Equal(dests[alerts[0].ID], []string{"console"}) {
				t.Fatalf("the other source's report gave alerts %+v; want a new alert to the console", alerts)
			}
			held, err := st.Alert(ctx, heldID)
			if err != nil {
				t.Fatal(err)
			}
			if len(held.AlsoReportedBy) != 0 {
				t.Errorf("the report was filed under the held alert: also reported by %v", held.AlsoReportedBy)
			}
			if !slices.Equal(held.HeldFrom, []string{"console"}) {
				t.Errorf("the held alert reads back held from %v, want [console]", held.HeldFrom)
			}
		})
	}
}
