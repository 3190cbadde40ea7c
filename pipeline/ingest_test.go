package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/internal/cpuslots"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// keywordMatcher matches a topic when its keyword is in the title; the real
// rules are tested in package rules, here only the pipeline's decisions are.
type keywordMatcher map[string]string // keyword -> topic

func (k keywordMatcher) Match(it *model.Item) []model.Match {
	var out []model.Match
	for kw, topic := range k {
		if strings.Contains(it.Title, kw) {
			out = append(out, model.Match{Topic: topic, Severity: model.SeverityHigh, Score: 1})
		}
	}
	return out
}

type fixedRoutes map[string][]model.Destination

func (f fixedRoutes) DestinationsFor(topic string, _ model.Severity) []model.Destination {
	return append(f[topic], f["*"]...)
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestIngestDecisions(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	wakes := 0
	var alerts []model.Alert
	in := NewIngester(Options{
		Store:   st,
		Matcher: keywordMatcher{"New IP": "new-ip", "CWG": "mandate-creep"},
		Routes: fixedRoutes{
			"*":      {{Platform: "console"}},
			"new-ip": {{Platform: "slack", Target: "#itu-alerts"}},
		},
		Wake:    func() { wakes++ },
		Logger:  slog.New(slog.DiscardHandler),
		Now:     func() time.Time { return now },
		MaxAge:  30 * 24 * time.Hour,
		OnAlert: func(a model.Alert, _ []string) { alerts = append(alerts, a) },
	})
	if _, err := st.Subscribe(ctx, "matrix:!room:example.org", "mandate-creep"); err != nil {
		t.Fatal(err)
	}

	doc := &model.DocumentRef{Number: "C26/51", Languages: []string{"en"}}
	batch := []model.Item{
		{ID: "1", Title: "New IP returns at TSAG", Published: now.Add(-time.Hour)},
		{ID: "2", Title: "CWG consultation", Published: now.Add(-2 * time.Hour), Document: doc},
		{ID: "3", Title: "Satellite spectrum seminar", Published: now.Add(-time.Hour)},
		{ID: "4", Title: "New IP in 2019 archive", Published: now.Add(-400 * 24 * time.Hour)},
	}
	if err := in.Ingest(ctx, "news", batch); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 2 || wakes != 1 {
		t.Fatalf("first batch: %d alerts, %d wakes; want 2 alerts (old and unmatched items quiet) and 1 wake", len(alerts), wakes)
	}
	newIP, cwg := alerts[0], alerts[1]
	if newIP.Kind != model.AlertNew || newIP.ID == 0 {
		t.Errorf("first alert = kind %q id %d, want a stored new alert", newIP.Kind, newIP.ID)
	}
	// The store stamps deliveries with the wall clock, not the ingester's.
	due, err := st.PendingDeliveries(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64][]string{}
	for _, d := range due {
		got[d.AlertID] = append(got[d.AlertID], d.Destination)
	}
	if want := "slack:#itu-alerts,console"; strings.Join(got[newIP.ID], ",") != want {
		t.Errorf("New IP deliveries = %v, want %s", got[newIP.ID], want)
	}
	if want := "console,matrix:!room:example.org"; strings.Join(got[cwg.ID], ",") != want {
		t.Errorf("CWG deliveries = %v, want %s (route, then subscription)", got[cwg.ID], want)
	}

	// The same batch again: nothing new, no wake.
	alerts = nil
	if err := in.Ingest(ctx, "news", batch); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 0 || wakes != 1 {
		t.Errorf("unchanged batch: %d alerts, %d wakes; want 0 and still 1", len(alerts), wakes)
	}

	// A revision and a French version of the document: an update of the first alert.
	rev := batch[1]
	rev.Document = &model.DocumentRef{Number: "C26/51", Revision: "Rev.1", Languages: []string{"en", "fr"}}
	if err := in.Ingest(ctx, "news", []model.Item{rev}); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 {
		t.Fatalf("revision: %d alerts, want 1", len(alerts))
	}
	upd := alerts[0]
	if upd.Kind != model.AlertUpdate || upd.ParentID != cwg.ID {
		t.Errorf("revision alert kind %q parent %d, want update of %d", upd.Kind, upd.ParentID, cwg.ID)
	}
	if want := "revised (Rev.1); new language version: French"; upd.Change != want {
		t.Errorf("change = %q, want %q", upd.Change, want)
	}
}

func TestDescribeChange(t *testing.T) {
	base := model.Item{Title: "A", Summary: "s"}
	tests := []struct {
		name string
		edit func(*model.Item)
		want string
	}{
		{"title", func(it *model.Item) { it.Title = "B" }, "title changed"},
		{"text", func(it *model.Item) { it.Summary = "t" }, "text changed"},
		{"nothing visible", func(it *model.Item) {}, "updated"},
	}
	for _, tt := range tests {
		cur := base
		tt.edit(&cur)
		if got := DescribeChange(&base, &cur); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// A poll's batch is saved together, but decides as if its items came one
// by one: a repeated id is an update of the first, a repeated text under a
// new id is nothing, and two reports of one story in the batch are one alert.
func TestIngestBatchDecidesItemByItem(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var alerts []model.Alert
	in := newClusterIngester(t, st, &alerts)
	now := time.Now().UTC()
	batch := []model.Item{
		{ID: "a", Title: "New IP returns at TSAG", Link: "https://news.example/a", Published: now},
		{ID: "a", Title: "New IP returns at TSAG (corrected)", Link: "https://news.example/a", Published: now},
		{ID: "b", Title: "New IP returns at TSAG (corrected)", Link: "https://news.example/a", Published: now},
		{ID: "c", Title: "Member states clash over New IP proposal", Link: "https://news.example/c", Published: now},
		{ID: "d", Title: "Member states clash over New IP proposal", Link: "https://other.example/d", Published: now},
	}
	if err := in.Ingest(ctx, "news", batch); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, a := range alerts {
		kinds = append(kinds, fmt.Sprintf("%s:%s", a.Item.ID, a.Kind))
	}
	if want := []string{"a:new", "a:update", "c:new"}; !slices.Equal(kinds, want) {
		t.Fatalf("alerts = %v, want %v", kinds, want)
	}
	if alerts[1].ParentID != alerts[0].ID {
		t.Errorf("the repeated id's update has parent %d, want %d", alerts[1].ParentID, alerts[0].ID)
	}
	priors, err := st.PriorItems(ctx, "news", []string{"a", "b", "c", "d"})
	if err != nil {
		t.Fatal(err)
	}
	if priors["b"] != nil {
		t.Errorf("the repeated text under a new id was stored: %+v", priors["b"])
	}
	if d := priors["d"]; d == nil || d.FirstAlertID != alerts[2].ID {
		t.Errorf("the second report of story c is not filed under its alert: %+v", d)
	}
}

// One item that cannot be saved does not cost the rest of its batch.
func TestIngestBatchKeepsTheItemsThatSave(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var alerts []model.Alert
	in := NewIngester(Options{
		Store:   st,
		Matcher: keywordMatcher{"New IP": "new-ip", "DNS": "dns"},
		// A destination the store refuses (empty), for the dns topic only.
		Routes:  fixedRoutes{"new-ip": {{Platform: "console"}}, "dns": {{}}},
		Logger:  slog.New(slog.DiscardHandler),
		OnAlert: func(a model.Alert, _ []string) { alerts = append(alerts, a) },
	})
	now := time.Now().UTC()
	batch := []model.Item{
		{ID: "1", Title: "New IP at TSAG", Published: now},
		{ID: "2", Title: "DNS abuse resolution", Published: now},
		{ID: "3", Title: "New IP in Study Group 13", Published: now},
	}
	err := in.Ingest(ctx, "news", batch)
	if err == nil || !strings.Contains(err.Error(), "1 of 3 items failed") || !strings.Contains(err.Error(), "news/2") {
		t.Fatalf("Ingest error = %v, want one naming the failed item", err)
	}
	if len(alerts) != 2 || alerts[0].Item.ID != "1" || alerts[1].Item.ID != "3" {
		t.Fatalf("alerts for %d items, want items 1 and 3", len(alerts))
	}
	priors, _ := st.PriorItems(ctx, "news", []string{"1", "2", "3"})
	if len(priors) != 2 || priors["2"] != nil {
		t.Errorf("stored %d items (item 2: %v), want items 1 and 3 only", len(priors), priors["2"])
	}
}

// gatedStore is a real store whose SaveItems reports each batch's source on
// entered and, for a source with a gate, waits for the gate to open.
type gatedStore struct {
	*store.Store
	gates   map[string]chan struct{}
	entered chan string
}

func (g *gatedStore) SaveItems(ctx context.Context, saves []model.ItemSave) []error {
	if len(saves) > 0 {
		src := saves[0].Item.SourceID
		g.entered <- src
		if gate := g.gates[src]; gate != nil {
			<-gate
		}
	}
	return g.Store.SaveItems(ctx, saves)
}

// allCPUSlotsFree reports whether every CPU slot can be taken within a
// second, that is whether no waiting batch holds one.
func allCPUSlotsFree(t *testing.T) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var releases []func()
	defer func() {
		for _, release := range releases {
			release()
		}
	}()
	for range runtime.GOMAXPROCS(0) + 1 { // cpuslots admits one more than the cores
		release, err := cpuslots.Acquire(ctx)
		if err != nil {
			return false
		}
		releases = append(releases, release)
	}
	return true
}

// A batch gives up its CPU slot while it waits for the writer or for
// another batch's story, so that waiting batches cannot leave the cores
// idle (or, with as many waiting as there are slots, stall every poll).
func TestIngestWaitsWithoutACPUSlot(t *testing.T) {
	ctx := context.Background()
	gated := &gatedStore{Store: openStore(t), gates: map[string]chan struct{}{}, entered: make(chan string, 16)}
	var (
		mu     sync.Mutex
		alerts []model.Alert
	)
	in := NewIngester(Options{
		Store:   gated,
		Matcher: keywordMatcher{"New IP": "new-ip"},
		Routes:  fixedRoutes{"*": {{Platform: "console"}}},
		Logger:  slog.New(slog.DiscardHandler),
		OnAlert: func(a model.Alert, _ []string) { mu.Lock(); alerts = append(alerts, a); mu.Unlock() },
	})
	now := time.Now().UTC()
	ingest := func(source string, items ...model.Item) chan error {
		done := make(chan error, 1)
		go func() { done <- in.Ingest(ctx, source, items) }()
		return done
	}
	awaitEntered := func(want string) {
		t.Helper()
		select {
		case got := <-gated.entered:
			if got != want {
				t.Fatalf("SaveItems for %s, want %s", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no SaveItems for %s", want)
		}
	}

	// Waiting for the writer: a repeated id saves the batch so far first.
	gated.gates["repeat"] = make(chan struct{})
	repeat := ingest("repeat", model.Item{ID: "x", Title: "Plain news", Published: now}, model.Item{ID: "x", Title: "Plain news, revised", Published: now})
	awaitEntered("repeat")
	if !allCPUSlotsFree(t) {
		t.Error("a batch waiting for its save holds a CPU slot")
	}
	close(gated.gates["repeat"])
	awaitEntered("repeat")
	if err := <-repeat; err != nil {
		t.Fatal(err)
	}

	// Waiting for another batch's story: "second" reports the story that
	// "first" is saving.
	gated.gates["first"] = make(chan struct{})
	first := ingest("first", model.Item{ID: "1", Title: "New IP at TSAG", Link: "https://a.example/1", Published: now})
	awaitEntered("first")
	second := ingest("second", model.Item{ID: "0", Title: "Weather", Published: now},
		model.Item{ID: "1", Title: "New IP at TSAG", Link: "https://b.example/1", Published: now})
	awaitEntered("second") // its earlier item, saved before it waits
	if !allCPUSlotsFree(t) {
		t.Error("a batch waiting for another batch's story holds a CPU slot")
	}
	close(gated.gates["first"])
	for _, done := range []chan error{first, second} {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	awaitEntered("second")
	if len(alerts) != 1 || alerts[0].Item.SourceID != "first" {
		t.Errorf("%d alerts, want one, from first, that second joined", len(alerts))
	}
}
