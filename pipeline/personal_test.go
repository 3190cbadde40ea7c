package pipeline

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/itudoc"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

func pendingByDest(t *testing.T, st *store.Store) map[string][]string {
	t.Helper()
	ds, err := st.PendingDeliveries(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, d := range ds {
		a, err := st.Alert(context.Background(), d.AlertID)
		if err != nil {
			t.Fatal(err)
		}
		out[d.Destination] = append(out[d.Destination], a.Item.ID)
	}
	return out
}

func TestMutedAlertIsStoredSearchableAndCounted(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	in := NewIngester(Options{
		Store:   st,
		Matcher: keywordMatcher{"New IP": "new-ip", "CWG": "mandate-creep"},
		Routes: fixedRoutes{"new-ip": {{Platform: "slack", Target: "C1"}, {Platform: "slack", Target: "C2"}},
			"mandate-creep": {{Platform: "slack", Target: "C2"}}},
		Logger: slog.New(slog.DiscardHandler),
		Now:    func() time.Time { return now },
	})
	for _, m := range []model.Mute{
		{Destination: "slack:C2", Kind: model.MuteTopic, Value: "new-ip", ExpiresAt: now.Add(7 * 24 * time.Hour)},
		{Destination: "slack:C1", Kind: model.MutePhrase, Value: "tsag"},
		{Destination: "slack:C1", Kind: model.MuteSource, Value: "blog-*"},
	} {
		if _, err := st.AddMute(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := in.Ingest(ctx, "news", []model.Item{
		{ID: "tsag", Title: "New IP returns at TSAG"},
		{ID: "wtsa", Title: "New IP at WTSA, and CWG"},
		{ID: "tsagging", Title: "New IP and the tsagging of things"}, // a phrase, not a substring
	}); err != nil {
		t.Fatal(err)
	}
	if err := in.Ingest(ctx, "blog-x", []model.Item{{ID: "blog", Title: "New IP, a blog"}}); err != nil {
		t.Fatal(err)
	}
	got := pendingByDest(t, st)
	if want := []string{"wtsa", "tsagging"}; !equalStrings(got["slack:C1"], want) {
		t.Errorf("sent to C1 = %v, want %v (TSAG muted as words, blog-* as source)", got["slack:C1"], want)
	}
	// C2 muted new-ip; the alert that also matched mandate-creep comes.
	if want := []string{"wtsa"}; !equalStrings(got["slack:C2"], want) {
		t.Errorf("sent to C2 = %v, want %v", got["slack:C2"], want)
	}
	for dest, want := range map[string]int{"slack:C1": 2, "slack:C2": 3} {
		counts, err := st.DeliveryCounts(ctx, dest, time.Time{}, time.Now().Add(time.Hour)) // the store stamps rows with its own clock
		if err != nil || counts[model.DeliveryMuted] != want {
			t.Errorf("muted deliveries to %s = %v, %v; want %d", dest, counts, err, want)
		}
	}
	hits, err := st.Search(ctx, "TSAG", 5)
	if err != nil || len(hits) != 1 || hits[0].Item.ID != "tsag" || hits[0].AlertID == 0 {
		t.Errorf("search for the muted item = %+v, %v; want it with its alert", hits, err)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFollowOfDocumentCatchesRevisionsAndLanguages(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	in := NewIngester(Options{
		Store:   st,
		Matcher: keywordMatcher{"nothing matches this": "x"},
		Routes:  fixedRoutes{},
		Logger:  slog.New(slog.DiscardHandler),
		Now:     func() time.Time { return now },
	})
	ref, ok := itudoc.Parse("C26/51(Rev.1)-F")
	if !ok {
		t.Fatal("itudoc.Parse refused C26/51(Rev.1)-F")
	}
	for _, f := range []model.Follow{
		{Destination: "slack:@U1", Kind: model.FollowDocument, Value: ref.Number},
		{Destination: "matrix:@alice:example.org", Kind: model.FollowWords, Value: "new ip"},
		{Destination: "matrix:@alice:example.org", Kind: model.FollowProposer, Value: "Russian Federation"},
	} {
		if _, err := st.AddFollow(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	doc := func(rev, lang string) *model.DocumentRef {
		return &model.DocumentRef{Number: "C26/51", Series: "C", Meeting: "26", Seq: "51", Revision: rev, Languages: []string{lang}}
	}
	if err := in.Ingest(ctx, "council", []model.Item{
		{ID: "C26-51-E", Title: "Contribution on the Internet", Document: doc("", "en")},
		{ID: "C26-52-E", Title: "Another contribution", Document: &model.DocumentRef{Number: "C26/52", Submitter: "Russian Federation"}},
		{ID: "renew", Title: "Renew iPhone contracts"},
		{ID: "newip", Title: "The New-IP proposal is back"},
	}); err != nil {
		t.Fatal(err)
	}
	// The revision and its French version arrive later, under other ids.
	if err := in.Ingest(ctx, "council", []model.Item{
		{ID: "C26-51R1-F", Title: "Contribution sur l'Internet", Document: doc("Rev.1", "fr")},
	}); err != nil {
		t.Fatal(err)
	}
	if err := in.Ingest(ctx, "news", []model.Item{{ID: "press", Title: "Press: C26/51(Rev.1) tabled"}}); err != nil {
		t.Fatal(err)
	}
	got := pendingByDest(t, st)
	if want := []string{"C26-51-E", "C26-51R1-F", "press"}; !equalStrings(got["slack:@U1"], want) {
		t.Errorf("DMs to U1 = %v, want %v", got["slack:@U1"], want)
	}
	if want := []string{"C26-52-E", "newip"}; !equalStrings(got["matrix:@alice:example.org"], want) {
		t.Errorf("DMs to alice = %v, want %v", got["matrix:@alice:example.org"], want)
	}
	recent, err := st.RecentAlerts(ctx, model.FollowTopic, 10)
	if err != nil || len(recent) == 0 || recent[0].Matches[0].TopicName == "" {
		t.Fatalf("follow alerts = %v, %v", recent, err)
	}
}

func TestExpiredMuteTellsTheChannelOnceAndSnoozeSumsUp(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	in := NewIngester(Options{
		Store:   st,
		Matcher: keywordMatcher{"New IP": "new-ip"},
		Routes:  fixedRoutes{"new-ip": {{Platform: "slack", Target: "C1"}}},
		Logger:  slog.New(slog.DiscardHandler),
	})
	start := time.Now()
	if _, err := st.AddMute(ctx, model.Mute{Destination: "slack:C1", Kind: model.MuteSource, Value: "blog", Reason: "spam week", ExpiresAt: start.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := in.Ingest(ctx, "itu", []model.Item{{ID: "d", Title: "New IP draft"}}); err != nil {
		t.Fatal(err)
	}
	prior, err := st.PriorItems(ctx, "itu", []string{"d"})
	if err != nil || prior["d"] == nil || prior["d"].FirstAlertID == 0 {
		t.Fatalf("first alert: %+v, %v", prior, err)
	}
	first := prior["d"].FirstAlertID
	if err := st.Snooze(ctx, model.Snooze{AlertID: first, Destination: "slack:C1", Until: start.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for _, title := range []string{"New IP draft, revised", "New IP draft, final"} {
		if err := in.Ingest(ctx, "itu", []model.Item{{ID: "d", Title: title}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := pendingByDest(t, st)["slack:C1"]; len(got) != 1 {
		t.Fatalf("pending to C1 while snoozed = %v, want only the first alert", got)
	}
	wakes := 0
	for range 3 {
		if err := EndExpired(ctx, st, start.Add(2*time.Hour), func() { wakes++ }); err != nil {
			t.Fatal(err)
		}
	}
	if wakes != 1 {
		t.Errorf("EndExpired woke the dispatcher %d times, want once", wakes)
	}
	ds, err := st.PendingDeliveries(ctx, 10)
	if err != nil || len(ds) != 3 {
		t.Fatalf("pending = %+v, %v; want the first alert, the summing-up update and the notice", ds, err)
	}
	var notices, summaries int
	for _, d := range ds[1:] {
		a, err := st.Alert(ctx, d.AlertID)
		if err != nil {
			t.Fatal(err)
		}
		switch a.Kind {
		case model.AlertNotice:
			notices++
			if a.Item.Title != "The mute of source blog has ended: its alerts come here again. (It was muted because: spam week)" {
				t.Errorf("notice = %q", a.Item.Title)
			}
		case model.AlertUpdate:
			summaries++
			if a.ParentID != first || !strings.HasPrefix(a.Change, "2 updates while snoozed") || a.Item.Title != "New IP draft, final" {
				t.Errorf("summing-up update = parent %d change %q title %q", a.ParentID, a.Change, a.Item.Title)
			}
		}
	}
	if notices != 1 || summaries != 1 {
		t.Errorf("%d notices and %d summaries queued, want one each", notices, summaries)
	}
}

func TestOddPhrasesCompileOrAreLeftOut(t *testing.T) {
	for _, phrase := range []string{`say "hi": {x}`, "a\nb", "regulat*", "***", "#channel @room", "é", strings.Repeat("w ", 40)} {
		e, err := compilePhrases([]phraseTopic{{id: "w1", phrase: phrase}, {id: "w2", phrase: "new ip"}})
		if err != nil || e == nil {
			t.Fatalf("compilePhrases with %q: %v", phrase, err)
		}
		if got := e.Match(&model.Item{Title: "The New-IP plan"}); len(got) == 0 {
			t.Errorf("with %q beside it, \"new ip\" no longer matches", phrase)
		}
	}
}

// BenchmarkFollowMatch: one item against 500 people's follows (words and
// document numbers), as every new or changed item is matched.
func BenchmarkFollowMatch(b *testing.B) {
	p := &personal{mutes: map[string][]model.Mute{}}
	var phrases []phraseTopic
	for i := range 500 {
		f := model.Follow{ID: int64(i + 1), Destination: "slack:@U" + strings.Repeat("0", 6) + string(rune('A'+i%26)), Kind: model.FollowWords, Value: "word" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + " policy"}
		if i%2 == 1 {
			f.Kind, f.Value = model.FollowDocument, "C26/"+strconv.Itoa(i)
		} else {
			phrases = append(phrases, phraseTopic{id: "w" + strconv.Itoa(i+1), phrase: f.Value})
		}
		p.follows = append(p.follows, f)
	}
	e, err := compilePhrases(phrases)
	if err != nil {
		b.Fatal(err)
	}
	p.phrases = e
	it := &model.Item{Title: "Council 2026: wordab policy on the New IP", Summary: strings.Repeat("The Council discussed Internet governance and the WSIS review. ", 20),
		Document: &model.DocumentRef{Number: "C26/11"}}
	b.ResetTimer()
	for b.Loop() {
		if len(p.followMatches(it)) == 0 {
			b.Fatal("no follow matched")
		}
	}
}
