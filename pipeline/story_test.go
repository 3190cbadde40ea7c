package pipeline

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

func newClusterIngester(t *testing.T, st *store.Store, alerts *[]model.Alert) *Ingester {
	t.Helper()
	return NewIngester(Options{
		Store:   st,
		Matcher: keywordMatcher{"New IP": "new-ip", "Draft report": "mandate-creep"},
		Routes:  fixedRoutes{"*": {{Platform: "console"}}},
		Logger:  slog.New(slog.DiscardHandler),
		OnAlert: func(a model.Alert, _ []string) { *alerts = append(*alerts, a) },
	})
}

func TestOneStoryFromThreeSourcesIsOneAlert(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var alerts []model.Alert
	in := newClusterIngester(t, st, &alerts)

	now := time.Now().UTC()
	reports := []struct {
		source string
		item   model.Item
	}{
		{"civil-society", model.Item{ID: "cs-1", Title: "Member states clash over New IP proposal at TSAG meeting",
			Link: "https://www.example.org/2026/11/new-ip-tsag", Published: now}},
		// Same article, syndicated: other scheme, no www, trailing slash.
		{"aggregator", model.Item{ID: "agg-77", Title: "New IP returns", Link: "http://example.org/2026/11/new-ip-tsag/", Published: now}},
		// Another outlet's copy: its own link, the same headline plus its name.
		{"trade-press", model.Item{ID: "tp-9", Title: "Member states clash over New IP proposal at TSAG meeting - Trade Wire",
			Link: "https://trade.example.net/a/123", Published: now}},
	}
	for _, r := range reports {
		if err := in.Ingest(ctx, r.source, []model.Item{r.item}); err != nil {
			t.Fatal(err)
		}
	}
	if len(alerts) != 1 {
		t.Fatalf("three reports of one story gave %d alerts, want 1", len(alerts))
	}
	got, err := st.Alert(ctx, alerts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"aggregator", "trade-press"}; !slices.Equal(got.AlsoReportedBy, want) {
		t.Errorf("also reported by = %v, want %v", got.AlsoReportedBy, want)
	}

	// The trade-press copy is later revised: it threads under the story's alert.
	rev := reports[2].item
	rev.Summary = "Updated with the outcome of the vote."
	if err := in.Ingest(ctx, "trade-press", []model.Item{rev}); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 2 || alerts[1].Kind != model.AlertUpdate || alerts[1].ParentID != alerts[0].ID {
		t.Errorf("revision of a clustered copy: %d alerts, last %+v; want an update of #%d", len(alerts), alerts[len(alerts)-1], alerts[0].ID)
	}
}

func TestGuidThatChangesEveryPollAlertsOnce(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var alerts []model.Alert
	in := newClusterIngester(t, st, &alerts)
	for poll := range 5 {
		it := model.Item{ID: "guid-" + string(rune('a'+poll)), Title: "New IP debate continues",
			Link: "https://news.example.org/new-ip-debate", Published: time.Now()}
		if err := in.Ingest(ctx, "flaky-feed", []model.Item{it}); err != nil {
			t.Fatal(err)
		}
	}
	if len(alerts) != 1 {
		t.Fatalf("an item re-published under 5 guids alerted %d times, want 1", len(alerts))
	}
	got, _ := st.Alert(ctx, alerts[0].ID)
	if len(got.AlsoReportedBy) != 0 {
		t.Errorf("the source reported itself as another outlet: %v", got.AlsoReportedBy)
	}
}

func TestDocumentsAreNotClusteredByTitle(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var alerts []model.Alert
	in := newClusterIngester(t, st, &alerts)
	for _, n := range []string{"C26/51", "C26/52"} {
		it := model.Item{ID: n, Title: n + " — Draft report of the Council working group on its fourth meeting",
			Link: "https://docs.example.org/md/" + n, Published: time.Now(), Document: &model.DocumentRef{Number: n}}
		if err := in.Ingest(ctx, "council-docs", []model.Item{it}); err != nil {
			t.Fatal(err)
		}
	}
	if len(alerts) != 2 {
		t.Errorf("two documents with near-identical titles gave %d alerts, want 2", len(alerts))
	}
}

func TestStoryLinkAndTitles(t *testing.T) {
	links := []struct{ a, b string }{
		{"https://www.example.org/x/", "http://example.org/x"},
		{"https://example.org/x?id=3#comments", "https://example.org/x?id=3"},
	}
	for _, l := range links {
		if storyLink(l.a) != storyLink(l.b) {
			t.Errorf("storyLink(%q)=%q differs from storyLink(%q)=%q", l.a, storyLink(l.a), l.b, storyLink(l.b))
		}
	}
	if storyLink("https://example.org/x?id=3") == storyLink("https://example.org/x?id=4") {
		t.Error("links differing in an article id parameter were taken for one story")
	}
	if overlap(titleWords("Weekly digest 12"), titleWords("Weekly digest 13")) >= titleOverlap {
		t.Error("short digest titles overlap enough to cluster")
	}
	if sameTitle(titleWords("ITU Council opens its session"), titleWords("ITU Council opens its session on New IP and OTT taxes")) {
		t.Error("a short generic headline contained in a longer one was taken for the same story")
	}
	if !sameTitle(titleWords("TSAG split over New IP successor proposal"), titleWords("TSAG split over New IP successor proposal at ITU-T")) {
		t.Error("a headline and the same headline plus a few words were not taken for one story")
	}
	if w := titleWords("ITU Council opens session on Internet policy | Policy Wire"); w["wire"] {
		t.Errorf("outlet suffix kept: %v", w)
	}
}

func TestClusteringDoesNotDependOnPollOrder(t *testing.T) {
	now := time.Now().UTC()
	reports := map[string]model.Item{
		"dispatch":   {ID: "a", Title: "TSAG split over New IP successor proposal at ITU-T", Link: "https://www.policy.example/tsag-new-ip", Published: now},
		"aggregator": {ID: "b", Title: "TSAG split over New IP successor proposal", Link: "http://policy.example/tsag-new-ip/", Published: now},
		"wire":       {ID: "c", Title: "TSAG split over New IP successor proposal at ITU-T - Telecom Wire", Link: "https://wire.example/991", Published: now},
	}
	orders := [][]string{
		{"dispatch", "aggregator", "wire"}, {"dispatch", "wire", "aggregator"},
		{"aggregator", "dispatch", "wire"}, {"aggregator", "wire", "dispatch"},
		{"wire", "dispatch", "aggregator"}, {"wire", "aggregator", "dispatch"},
	}
	for _, order := range orders {
		st := openStore(t)
		var alerts []model.Alert
		in := newClusterIngester(t, st, &alerts)
		for _, src := range order {
			if err := in.Ingest(context.Background(), src, []model.Item{reports[src]}); err != nil {
				t.Fatal(err)
			}
		}
		if len(alerts) != 1 {
			t.Errorf("order %v: %d alerts, want 1", order, len(alerts))
		}
	}
}

// sameStory is the plain scan of every candidate that the story index
// replaced, kept as its reference: the earlier alert an item is another
// report of, if any, by the same link or a near-identical title (never for
// ITU documents).
func sameStory(it *model.Item, candidates []model.StoryCandidate) (int64, bool) {
	link := storyLink(it.Link)
	var words map[string]bool
	if it.Document == nil {
		words = titleWords(it.Title)
	}
	for _, c := range candidates {
		if link != "" && link == storyLink(c.Link) {
			return c.AlertID, true
		}
		if len(words) >= minTitleWords && !c.HasDocument && sameTitle(words, titleWords(c.Title)) {
			return c.AlertID, true
		}
	}
	return 0, false
}

// sameTitle is the rule of sharedWordsSameTitle on the word sets.
func sameTitle(a, b map[string]bool) bool {
	if overlap(a, b) >= titleOverlap {
		return true
	}
	shorter := min(len(a), len(b))
	return shorter >= minContained && float64(shared(a, b))/float64(shorter) >= containedShare
}

func shared(a, b map[string]bool) int {
	n := 0
	for w := range a {
		if b[w] {
			n++
		}
	}
	return n
}

// overlap is the Jaccard similarity of two word sets.
func overlap(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n := shared(a, b)
	return float64(n) / float64(len(a)+len(b)-n)
}

// TestStoriesClaimAndSettle walks the stories API through a claim: a new
// story is claimed, a second report waits for the claim, and what the
// first save became decides whether the second joins it or alerts.
func TestStoriesClaimAndSettle(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	s := &stories{src: candidateStore{}, now: func() time.Time { return now }, window: defaultStoryWindow}
	first := &model.Item{Link: "https://news.example/new-ip", Title: "New IP returns"}
	again := &model.Item{Link: "https://www.news.example/new-ip/", Title: "Another headline"}
	noWait := func(<-chan struct{}) error { t.Fatal("waited with no claim pending"); return nil }

	id, claim, err := s.Find(ctx, first, true, noWait)
	if err != nil || id != 0 || claim == nil {
		t.Fatalf("first report: Find = %d, %v, %v; want a claim", id, claim, err)
	}
	// Another report while the first is being saved waits; the save
	// fails, so it claims the story itself.
	waited := 0
	id, claim2, err := s.Find(ctx, again, true, func(settled <-chan struct{}) error {
		waited++
		s.Add(claim, first, nil)
		<-settled
		return nil
	})
	if err != nil || waited != 1 || id != 0 || claim2 == nil {
		t.Fatalf("report of a failed claim: Find = %d, %v, %v after %d waits; want one wait, then a claim", id, claim2, err, waited)
	}
	// Its save gives alert 7: a third report joins it without waiting.
	s.Add(claim2, again, &model.Alert{ID: 7, Kind: model.AlertNew, CreatedAt: now})
	if id, c, err := s.Find(ctx, &model.Item{Link: "http://news.example/new-ip"}, true, noWait); err != nil || id != 7 || c != nil {
		t.Errorf("report of alert 7: Find = %d, %v, %v; want 7 and no claim", id, c, err)
	}
	// An item that will not alert (back catalogue) claims nothing.
	if id, c, err := s.Find(ctx, &model.Item{Link: "https://other.example/x", Title: "Old news"}, false, noWait); err != nil || id != 0 || c != nil {
		t.Errorf("back catalogue: Find = %d, %v, %v; want nothing", id, c, err)
	}
	// A first alert of an item seen before (no claim) starts a story too.
	seen := &model.Item{Link: "https://other.example/seen", Title: "Seen before"}
	s.Add(nil, seen, &model.Alert{ID: 9, Kind: model.AlertNew, CreatedAt: now})
	if id, _, _ := s.Find(ctx, &model.Item{Link: "https://other.example/seen/"}, true, noWait); id != 9 {
		t.Errorf("report of an item first alerted without a claim joined %d, want 9", id)
	}
}

// The story key of a link, over the cases the key was written for; these
// were the answers of storyLink before it was built on links.Canonical,
// for the links the watchers give it.
func TestStoryLinkKeys(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://www.example.org/x/", "example.org/x"},
		{"http://example.org/x", "example.org/x"},
		{"https://example.org/x?id=3#comments", "example.org/x?id=3"},
		{"https://example.org/x?id=3", "example.org/x?id=3"},
		{"https://example.org/x?id=4", "example.org/x?id=4"},
		{"HTTPS://WWW.Example.ORG/Path/Case/", "example.org/Path/Case"},
		{"https://example.org", "example.org"},
		{"https://example.org/", "example.org"},
		{"https://example.org:8443/a", "example.org:8443/a"},
		{"https://example.org/a?b=2&a=1", "example.org/a?b=2&a=1"},
		{"https://example.org/a?q=%C3%A9t%C3%A9", "example.org/a?q=%C3%A9t%C3%A9"},
		{"https://example.org/caf%C3%A9/", "example.org/caf%C3%A9"},
		{"https://example.org/a%2Fb", "example.org/a%2Fb"},
		{"https://example.org/a?", "example.org/a"},
		{"  https://example.org/a  ", "example.org/a"},
		{"https://user:secret@example.org/a", "example.org/a"},
		{"//example.org/a/", "example.org/a"},
		{"//WWW.Example.org/a/", "example.org/a"},
		{"https://wwwexample.org/a", "wwwexample.org/a"},
		{"https://www2.example.org/a", "www2.example.org/a"},
		{"https://[2001:DB8::1]:8080/a", "[2001:db8::1]:8080/a"},
		{"https://docs.example.org/md/C26/51", "docs.example.org/md/C26/51"},
		{"/relative/path", ""},
		{"", ""},
		{"https://exa mple.org/a", ""},
		{"mailto:someone@example.org", ""},
	}
	for _, tt := range tests {
		if got := storyLink(tt.in); got != tt.want {
			t.Errorf("storyLink(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Built on links.Canonical, the key no longer trusts the watchers to have
// cleaned the link: a default port or a tracking parameter (which a
// listing's or a page's link may still carry) no longer splits a story.
func TestStoryLinkCanonicalises(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://example.org:80/a", "example.org/a"},
		{"https://www.example.org:443/a/", "example.org/a"},
		{"https://example.org/a?utm_source=x&id=7&fbclid=y", "example.org/a?id=7"},
		{"https://example.org/a?utm_medium=feed", "example.org/a"},
	}
	for _, tt := range tests {
		if got := storyLink(tt.in); got != tt.want {
			t.Errorf("storyLink(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
