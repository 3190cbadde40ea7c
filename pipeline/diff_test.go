package pipeline

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/textdiff"
)

// hitMatcher matches a topic wherever its keyword stands in the title or
// content, and says where, as the rules engine does.
type hitMatcher map[string]string // keyword -> topic

func (h hitMatcher) Match(it *model.Item) []model.Match {
	var out []model.Match
	for kw, topic := range h {
		m := model.Match{Topic: topic, Severity: model.SeverityHigh, Score: 1}
		for field, text := range map[string]string{"title": it.Title, "content": it.Content} {
			if i := strings.Index(text, kw); i >= 0 {
				m.Hits = append(m.Hits, model.Hit{Term: kw, Text: text[i : i+len(kw)], Field: field, Start: i, End: i + len(kw)})
			}
		}
		if len(m.Hits) > 0 {
			out = append(out, m)
		}
	}
	return out
}

func diffIngester(t *testing.T, alerts *[]model.Alert) (*Ingester, func() model.Alert) {
	st := openStore(t)
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	in := NewIngester(Options{
		Store:   st,
		Matcher: hitMatcher{"IPv6": "ipv6"},
		Routes:  fixedRoutes{"*": {{Platform: "console"}}},
		Logger:  slog.New(slog.DiscardHandler),
		Now:     func() time.Time { return now },
		OnAlert: func(a model.Alert, _ []string) { *alerts = append(*alerts, a) },
	})
	last := func() model.Alert {
		t.Helper()
		if len(*alerts) == 0 {
			t.Fatal("no alert")
		}
		a, err := st.Alert(context.Background(), (*alerts)[len(*alerts)-1].ID)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	return in, last
}

// An update says which sentences changed, the matched words marked, and
// the store keeps it with the alert.
func TestUpdateCarriesTheDiff(t *testing.T) {
	ctx := context.Background()
	var alerts []model.Alert
	in, stored := diffIngester(t, &alerts)
	v1 := model.Item{ID: "a1", Title: "IPv6 at the Council", Link: "https://example.org/a1",
		Content: "The Council discussed IPv6 deployment. Contributions are due by 1 March 2027."}
	if err := in.Ingest(ctx, "news", []model.Item{v1}); err != nil {
		t.Fatal(err)
	}
	v2 := v1
	v2.Content = "The Council discussed IPv6 deployment. Contributions are due by 15 March 2027. A second IPv6 session follows in May."
	if err := in.Ingest(ctx, "news", []model.Item{v2}); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 2 || alerts[1].Kind != model.AlertUpdate {
		t.Fatalf("got %d alerts, want a new alert and an update", len(alerts))
	}
	a := stored()
	if a.Diff == nil {
		t.Fatal("stored update has no diff")
	}
	if a.Diff.Added != 1 || a.Diff.Removed != 0 || a.Diff.Reworded != 1 || len(a.Diff.Lines) != 2 {
		t.Fatalf("diff = %+v, want the reworded deadline and one added sentence", a.Diff)
	}
	changed, added := a.Diff.Lines[0], a.Diff.Lines[1]
	if changed.Kind != model.DiffChanged || !hasPart(changed, model.DiffDel, "1", false) || !hasPart(changed, model.DiffIns, "15", false) {
		t.Errorf("first line = %+v, want 1 deleted and 15 inserted", changed)
	}
	if added.Kind != model.DiffAdded || !hasPart(added, "", "IPv6", true) {
		t.Errorf("second line = %+v, want the added sentence with IPv6 marked", added)
	}
}

func hasPart(l model.DiffLine, op model.DiffOp, text string, hit bool) bool {
	for _, p := range l.Parts {
		if p.Op == op && p.Text == text && p.Hit == hit {
			return true
		}
	}
	return false
}

// What changes in a feed entry on its own is no update: white space, a
// view counter, the date of an "updated" stamp, campaign parameters.
func TestChurnIsNotAnUpdate(t *testing.T) {
	ctx := context.Background()
	var alerts []model.Alert
	in, _ := diffIngester(t, &alerts)
	v1 := model.Item{ID: "a1", Title: "IPv6 at the Council", Link: "https://example.org/a1",
		Content: "The Council discussed IPv6 deployment.  1,234 views. Last updated 3 Dec 2026. Slides: https://example.org/s.pdf?utm_source=feed&id=2"}
	churned := []model.Item{v1, v1, v1}
	churned[0].Content = "The Council discussed IPv6\n deployment. 1,301 views. Last updated 7 Dec 2026. Slides: https://example.org/s.pdf?utm_source=mail&id=2"
	churned[1].Content = "The Council discussed IPv6 deployment. Views: 1 480. Last updated: 7 December 2026, 09:14. Slides: https://example.org/s.pdf?id=2&fbclid=x"
	churned[2].Link = "https://example.org/a1?utm_campaign=dec"
	if err := in.Ingest(ctx, "news", []model.Item{v1}); err != nil {
		t.Fatal(err)
	}
	for i, it := range churned {
		if err := in.Ingest(ctx, "news", []model.Item{it}); err != nil {
			t.Fatal(err)
		}
		if len(alerts) != 1 {
			t.Fatalf("churn %d gave alert %+v, want no update", i, alerts[len(alerts)-1])
		}
	}
	// A real change after the churn is still an update, compared with the
	// version last seen.
	real := churned[1]
	real.Content = strings.Replace(real.Content, "deployment", "deployment in Africa", 1)
	if err := in.Ingest(ctx, "news", []model.Item{real}); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 2 || alerts[1].Diff == nil || len(alerts[1].Diff.Lines) != 1 {
		t.Fatalf("real change: %d alerts, want an update with one changed sentence", len(alerts))
	}
}

// An item stored by an older ituwatch, whose fingerprint counted the churn,
// is not an update when seen again unchanged.
func TestOlderFingerprintIsNoUpdate(t *testing.T) {
	ctx := context.Background()
	var alerts []model.Alert
	in, _ := diffIngester(t, &alerts)
	it := model.Item{SourceID: "news", ID: "a1", Title: "IPv6 at the Council", Content: "The Council discussed IPv6.  1,234 views."}
	errs := in.opts.Store.SaveItems(ctx, []model.ItemSave{{Item: it, Fingerprint: "fingerprint-of-an-older-version",
		Alert: &model.Alert{Kind: model.AlertNew, Item: it}, Destinations: []string{"console"}}})
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	for range 2 {
		if err := in.Ingest(ctx, "news", []model.Item{it}); err != nil {
			t.Fatal(err)
		}
	}
	if len(alerts) != 0 {
		t.Fatalf("got %+v, want no update", alerts)
	}
}

// A page source compares the page's versions itself: the pipeline puts
// the watcher's diff on the alert, with the matched words marked.
func TestPageAlertCarriesTheWatchersDiff(t *testing.T) {
	ctx := context.Background()
	var alerts []model.Alert
	in, stored := diffIngester(t, &alerts)
	added := "A workshop on IPv6 is added for March."
	it := model.Item{ID: "p1", Title: "Page updated: Focus group", Content: added,
		Diff: textdiff.Compare("The group met.", "The group met. "+added)}
	if err := in.Ingest(ctx, "page", []model.Item{it}); err != nil {
		t.Fatal(err)
	}
	a := stored()
	if a.Diff == nil || len(a.Diff.Lines) != 1 || !hasPart(a.Diff.Lines[0], "", "IPv6", true) {
		t.Fatalf("page alert diff = %+v, want the added sentence with IPv6 marked", a.Diff)
	}
}

func TestDiffTextReadsSummaryOnlyWhenTheContentLacksIt(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur model.Item
		want      string // the one added sentence
	}{
		{"summary is the start of the content",
			model.Item{Title: "T", Summary: "The group met.", Content: "The group met. It adjourned."},
			model.Item{Title: "T", Summary: "The group met.", Content: "The group met. It adjourned. A report follows."},
			"A report follows."},
		{"summary of its own",
			model.Item{Title: "T", Summary: "Short note.", Content: "The group met."},
			model.Item{Title: "T", Summary: "Short note. Now with a vote.", Content: "The group met."},
			"Now with a vote."},
		{"summary only",
			model.Item{Title: "T", Summary: "The group met."},
			model.Item{Title: "T", Summary: "The group met. A report follows."},
			"A report follows."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DiffText(&tt.prev, &tt.cur)
			if d == nil || len(d.Lines) != 1 || d.Lines[0].Kind != model.DiffAdded || d.Lines[0].Parts[0].Text != tt.want {
				t.Fatalf("diff = %+v, want only %q added", d, tt.want)
			}
		})
	}
}

// An ITU document's update names its revision as before, and carries the
// text diff when the listing's text changed too.
func TestDocumentUpdateNamesRevisionAndTextDiff(t *testing.T) {
	ctx := context.Background()
	var alerts []model.Alert
	in, stored := diffIngester(t, &alerts)
	v1 := model.Item{ID: "C26/51", Title: "Contribution on IPv6 addressing", Summary: "Proposes a study on IPv6 address allocation.",
		Document: &model.DocumentRef{Number: "C26/51", Languages: []string{"E"}}}
	v2 := v1
	v2.Document = &model.DocumentRef{Number: "C26/51", Revision: "Rev.1", Languages: []string{"E", "F"}}
	v2.Summary = "Proposes a study on IPv6 address allocation by regional registries."
	for _, it := range []model.Item{v1, v2} {
		if err := in.Ingest(ctx, "council-docs", []model.Item{it}); err != nil {
			t.Fatal(err)
		}
	}
	a := stored()
	if a.Kind != model.AlertUpdate || !strings.Contains(a.Change, "Rev.1") {
		t.Fatalf("update change = %q, want the revision named", a.Change)
	}
	if a.Diff == nil || a.Diff.Reworded != 1 || !hasPart(a.Diff.Lines[0], model.DiffIns, "allocation by regional registries.", false) {
		t.Fatalf("diff = %+v, want the summary's sentence reworded", a.Diff)
	}
}
