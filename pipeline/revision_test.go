package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

const (
	c51Text  = "The Council is invited to consider this contribution. Regional Internet Registries allocate IPv6 addresses today."
	c51Added = "ITU shall coordinate the allocation of IPv6 address blocks to Member States."
)

func c51(rev string, langs []string, content string) model.Item {
	return model.Item{ID: "C26/51", Title: "C26/51 — Contribution on Internet resources", Content: content,
		Document: &model.DocumentRef{Number: "C26/51", Series: "C", Meeting: "26", Seq: "51", Revision: rev, Languages: langs}}
}

func ingestAll(t *testing.T, in *Ingester, source string, batches ...[]model.Item) {
	t.Helper()
	for _, b := range batches {
		if err := in.Ingest(context.Background(), source, b); err != nil {
			t.Fatal(err)
		}
	}
}

// Rev.1 of a document whose text gained a sentence: the update says what
// the revision added, that sentence alone, its topic words marked, and
// names the revision for the heading.
func TestRevisionDiffIsTheAddedSentence(t *testing.T) {
	var alerts []model.Alert
	in, stored := diffIngester(t, &alerts)
	ingestAll(t, in, "council-docs",
		[]model.Item{c51("", []string{"en"}, c51Text)},
		[]model.Item{c51("Rev.1", []string{"en"}, c51Text+" "+c51Added)})
	a := stored()
	if a.Kind != model.AlertUpdate || a.ParentID != alerts[0].ID {
		t.Fatalf("got %s alert under #%d, want an update under #%d", a.Kind, a.ParentID, alerts[0].ID)
	}
	d := a.Diff
	if d == nil || d.Added != 1 || d.Removed != 0 || d.Reworded != 0 || len(d.Lines) != 1 || d.Lines[0].Kind != model.DiffAdded {
		t.Fatalf("diff = %+v, want exactly one added sentence", d)
	}
	var text strings.Builder
	for _, p := range d.Lines[0].Parts {
		text.WriteString(p.Text)
	}
	if text.String() != c51Added || !hasPart(d.Lines[0], "", "IPv6", true) {
		t.Errorf("added line = %+v, want %q with IPv6 marked", d.Lines[0], c51Added)
	}
	if d.Version != "Rev.1" || d.Tracked {
		t.Errorf("diff version %q tracked %v, want Rev.1 compared", d.Version, d.Tracked)
	}
}

// A text in another language is no revision of the English one: the
// update names the language and shows no sentence diff.
func TestNewLanguageVersionIsNotDiffed(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur model.Item
		change    string
	}{
		{"French version read in place of the English",
			c51("", []string{"en"}, c51Text),
			c51("", []string{"fr"}, "Le Conseil est invité à examiner cette contribution. Les registres Internet régionaux attribuent les adresses IPv6."),
			"new language version: French"},
		{"English arrives after the Russian",
			c51("", []string{"ru"}, "Совету предлагается рассмотреть этот вклад об адресах IPv6."),
			c51("", []string{"en", "ru"}, c51Text),
			"new language version: English"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var alerts []model.Alert
			in, stored := diffIngester(t, &alerts)
			ingestAll(t, in, "council-docs", []model.Item{tt.prev}, []model.Item{tt.cur})
			a := stored()
			if a.Kind != model.AlertUpdate || !strings.Contains(a.Change, tt.change) {
				t.Fatalf("got %s alert, change %q, want an update saying %q", a.Kind, a.Change, tt.change)
			}
			if a.Diff != nil {
				t.Errorf("diff = %+v, want none between two languages", a.Diff)
			}
		})
	}
	// The same language is still compared.
	if d := ChangeDiff(&tests[0].cur, &model.Item{Content: tests[0].cur.Content + " Une phrase ajoutée.", Document: tests[0].cur.Document}); d == nil || d.Added != 1 {
		t.Errorf("French against French: diff = %+v, want the added sentence", d)
	}
}

// Tracked changes are the proposer's own diff: the update shows the
// inserted runs as added and the deleted runs as removed, not what a
// comparison of the two texts would find.
func TestTrackedChangesArePreferred(t *testing.T) {
	var alerts []model.Alert
	in, stored := diffIngester(t, &alerts)
	deleted := "Regional Internet Registries allocate IPv6 addresses today."
	v2 := c51("Rev.1", []string{"en"}, "The Council is invited to consider this contribution carefully. "+c51Added)
	v2.Document.Tracked = &model.TrackedChanges{Inserted: []string{c51Added}, Deleted: []string{deleted}}
	ingestAll(t, in, "council-docs", []model.Item{c51("", []string{"en"}, c51Text)}, []model.Item{v2})
	d := stored().Diff
	if d == nil || !d.Tracked || d.Version != "Rev.1" {
		t.Fatalf("diff = %+v, want the tracked changes of Rev.1", d)
	}
	if d.Added != 1 || d.Removed != 1 || d.Reworded != 0 || len(d.Lines) != 2 {
		t.Fatalf("diff = %+v, want one inserted and one deleted run (the computed diff would reword a sentence)", d)
	}
	if d.Lines[0].Kind != model.DiffAdded || !hasPart(d.Lines[0], "", "IPv6", true) {
		t.Errorf("first line = %+v, want the inserted run with IPv6 marked", d.Lines[0])
	}
	if d.Lines[1].Kind != model.DiffRemoved || d.Lines[1].Parts[0].Text != deleted {
		t.Errorf("second line = %+v, want the deleted run", d.Lines[1])
	}
	// The same tracked changes seen again say nothing new: the text is compared.
	v3 := v2
	v3.Document = &model.DocumentRef{Number: "C26/51", Revision: "Rev.1", Languages: []string{"en"}, Tracked: v2.Document.Tracked}
	v3.Content = v2.Content + " A third IPv6 sentence."
	if d := ChangeDiff(&v2, &v3); d == nil || d.Tracked || d.Added != 1 {
		t.Errorf("unchanged tracked changes: diff = %+v, want the computed one", d)
	}
}

// An addendum threads under its parent's alert with a line saying whose
// addendum it is, also when the listing shows both in one poll; without a
// parent's alert it alerts on its own.
func TestAddendumThreadsUnderItsParent(t *testing.T) {
	add2 := model.Item{ID: "C26/51(Add.2)", Title: "C26/51(Add.2) — IPv6 address blocks", Content: c51Added,
		Document: &model.DocumentRef{Number: "C26/51(Add.2)", Series: "C", Meeting: "26", Seq: "51", Addendum: "Add.2", Languages: []string{"en"}}}
	corr := model.Item{ID: "C26/51(Corr.1)", Title: "C26/51(Corr.1) — IPv6 correction", Content: "Read IPv6 for IPv4.",
		Document: &model.DocumentRef{Number: "C26/51(Corr.1)", Series: "C", Meeting: "26", Seq: "51", Languages: []string{"en"}}}
	quiet := c51("", []string{"en"}, "The Council is invited to note this report.")
	quiet.Title = "C26/51 — Report"
	tests := []struct {
		name    string
		batches [][]model.Item
		line    string // "" when the addendum alerts on its own
	}{
		{"parent alerted earlier", [][]model.Item{{c51("", []string{"en"}, c51Text)}, {add2}}, "Addendum 2 to C26/51"},
		{"parent in the same poll", [][]model.Item{{c51("", []string{"en"}, c51Text), add2}}, "Addendum 2 to C26/51"},
		{"parent listed after it in the same poll", [][]model.Item{{add2, c51("", []string{"en"}, c51Text)}}, "Addendum 2 to C26/51"},
		{"corrigendum", [][]model.Item{{c51("", []string{"en"}, c51Text)}, {corr}}, "Corrigendum 1 to C26/51"},
		{"parent stored but never alerted", [][]model.Item{{quiet}, {add2}}, ""},
		{"parent never seen", [][]model.Item{{add2}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var alerts []model.Alert
			in, stored := diffIngester(t, &alerts)
			ingestAll(t, in, "council-docs", tt.batches...)
			a := stored()
			if tt.line == "" {
				if a.Kind != model.AlertNew || a.ParentID != 0 || len(alerts) != 1 {
					t.Fatalf("got %d alerts, last %s under #%d, want the addendum's own new alert", len(alerts), a.Kind, a.ParentID)
				}
				return
			}
			if len(alerts) != 2 || a.Kind != model.AlertUpdate || a.ParentID != alerts[0].ID || a.Change != tt.line {
				t.Fatalf("got %d alerts, last %s under #%d saying %q; want an update under #%d saying %q",
					len(alerts), a.Kind, a.ParentID, a.Change, alerts[0].ID, tt.line)
			}
		})
	}
}

// A revision of an addendum stays in its parent's thread.
func TestAddendumRevisionStaysInParentThread(t *testing.T) {
	var alerts []model.Alert
	in, stored := diffIngester(t, &alerts)
	add := model.Item{ID: "C26/51(Add.2)", Title: "C26/51(Add.2) — IPv6", Content: c51Added,
		Document: &model.DocumentRef{Number: "C26/51(Add.2)", Addendum: "Add.2", Languages: []string{"en"}}}
	rev := add
	rev.Document = &model.DocumentRef{Number: "C26/51(Add.2)", Addendum: "Add.2", Revision: "Rev.1", Languages: []string{"en"}}
	rev.Content = c51Added + " The IPv6 blocks are reserved for five years."
	ingestAll(t, in, "council-docs", []model.Item{c51("", []string{"en"}, c51Text)}, []model.Item{add}, []model.Item{rev})
	a := stored()
	if len(alerts) != 3 || a.ParentID != alerts[0].ID || !strings.HasPrefix(a.Change, "Addendum 2 to C26/51; revised (Rev.1)") {
		t.Fatalf("got %d alerts, last under #%d saying %q; want it under #%d", len(alerts), a.ParentID, a.Change, alerts[0].ID)
	}
	if a.Diff == nil || a.Diff.Added != 1 || a.Diff.Version != "Rev.1" {
		t.Errorf("diff = %+v, want the sentence Rev.1 added", a.Diff)
	}
}
