package rules

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadCorpusIgnoresUnknownFields(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []LabelledItem
		wantErr string
	}{
		{"exported from elsewhere",
			`{"id":"a","title":"T","text":"x","labels":["ott"],"url":"https://example.org/a","source":"press","note":"long analysis","meta":{"n":1,"tags":["x"]}}`,
			[]LabelledItem{{ID: "a", Title: "T", Text: "x", Labels: []string{"ott"}}}, ""},
		{"malformed line keeps its number",
			`{"id":"a","url":"u"}` + "\n\n" + `{"id":"b","url":` + "\n", nil, "line 3: not a labelled item"},
		{"labels of the wrong type", `{"id":"a","note":"n","labels":"ott"}`, nil, "line 1: not a labelled item"},
	}
	for _, tt := range tests {
		got, err := ReadCorpus(strings.NewReader(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("%s: error = %v, want prefix %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

const causesPack = `pack: t
topics:
  - {id: ott, name: OTT, severity: low, match: {phrases: ["OTT", "over-the-top"]}}
  - id: ctx
    name: needs context
    severity: low
    match: {all: ["ITU"], any: ["numbering"]}
  - id: newip
    name: New IP
    severity: low
    min_score: 3
    match:
      any:
        - {phrases: ["New IP", "Network 2030"], weight: 2}
`

// causesCorpus has false positives of ott in three places and false
// negatives of newip with no hit and with a score under its threshold.
func causesCorpus() []LabelledItem {
	deep := strings.Repeat("The conference closed with a long list of decisions on many things. ", 12)
	return []LabelledItem{
		{ID: "f1", Title: "OTT services", Text: "A note."},
		{ID: "f2", Title: "Round-up", Text: deep + "OTT was mentioned once."},
		{ID: "f3", Title: "Retrospective", Text: deep + "And OTT too."},
		{ID: "f4", Title: "Explainer", Text: "Over-the-top services explained.\n\n" + deep},
		{ID: "n1", Text: "New IP only", Labels: []string{"newip"}},
		{ID: "n2", Text: "nothing", Labels: []string{"newip", "ott"}},
		{ID: "n3", Text: "nothing at all", Labels: []string{"newip"}},
		{ID: "c1", Text: "numbering plans", Labels: []string{"ctx"}},
		{ID: "ok", Text: "New IP and Network 2030 over OTT", Labels: []string{"newip", "ott"}},
	}
}

func TestGroupMistakesByCause(t *testing.T) {
	p, err := ParsePack("t.yaml", []byte(causesPack))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := EvaluatePacks([]*Pack{p}, causesCorpus())
	if err != nil {
		t.Fatal(err)
	}
	got := GroupMistakes(rep.Mistakes)
	want := []MistakeGroup{
		{Topic: "newip", Kind: "false negative", Cause: "no hit at all", Items: []string{"n2", "n3"}},
		{Topic: "ott", Kind: "false positive", Cause: `triggered by "OTT" deep in the text`, Items: []string{"f2", "f3"}},
		{Topic: "ctx", Kind: "false negative", Cause: `only part of its rules held: "numbering" in the first paragraph`, Items: []string{"c1"}},
		{Topic: "newip", Kind: "false negative", Cause: "hits below the threshold 3", Items: []string{"n1 (score 2)"}},
		{Topic: "ott", Kind: "false positive", Cause: `triggered by "OTT" in the title`, Items: []string{"f1"}},
		{Topic: "ott", Kind: "false positive", Cause: `triggered by "over-the-top" in the first paragraph`, Items: []string{"f4"}},
		{Topic: "ott", Kind: "false negative", Cause: "no hit at all", Items: []string{"n2"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groups:\n%+v\nwant\n%+v", got, want)
	}
}

func TestCompareReports(t *testing.T) {
	oldP, err := ParsePack("old.yaml", []byte(causesPack))
	if err != nil {
		t.Fatal(err)
	}
	// The new pack drops the bare "OTT" (fixing f1-f3, breaking the
	// labelled "ok" item) and lowers newip's threshold (fixing n1).
	newP, err := ParsePack("new.yaml", []byte(strings.NewReplacer(`"OTT", `, ``, `min_score: 3`, `min_score: 2`).Replace(causesPack)))
	if err != nil {
		t.Fatal(err)
	}
	before, err := EvaluatePacks([]*Pack{oldP}, causesCorpus())
	if err != nil {
		t.Fatal(err)
	}
	after, err := EvaluatePacks([]*Pack{newP}, causesCorpus())
	if err != nil {
		t.Fatal(err)
	}
	c := Compare(before, after)
	key := func(ms []Mistake) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Topic+" "+m.ItemID)
		}
		return out
	}
	if got, want := key(c.Fixed), []string{"ott f1", "ott f2", "ott f3", "newip n1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("fixed %v, want %v", got, want)
	}
	if got, want := key(c.Broken), []string{"ott ok"}; !reflect.DeepEqual(got, want) {
		t.Errorf("broken %v, want %v", got, want)
	}
	// ott before: TP 1, FP 4, FN 1 → P .2, R .5; after: TP 0, FP 1, FN 2 → 0.
	// newip before: TP 1, FN 3 → R .25, P 1; after: TP 2, FN 2 → R .5, P 1.
	wantTopics := []TopicChange{
		{ID: "ctx", InBefore: true, InAfter: true},
		{ID: "newip", Before: 0.4, After: 2.0 / 3, InBefore: true, InAfter: true},
		{ID: "ott", Before: 2 * .2 * .5 / .7, After: 0, InBefore: true, InAfter: true},
	}
	if len(c.Topics) != len(wantTopics) {
		t.Fatalf("topics %+v, want %+v", c.Topics, wantTopics)
	}
	for i, w := range wantTopics {
		g := c.Topics[i]
		if g.ID != w.ID || !near(g.Before, w.Before) || !near(g.After, w.After) || g.InBefore != w.InBefore || g.InAfter != w.InAfter {
			t.Errorf("topic %d: %+v, want %+v", i, g, w)
		}
	}
	if !near(c.MacroBefore, before.MacroF1) || !near(c.MacroAfter, after.MacroF1) || near(c.MacroBefore, c.MacroAfter) {
		t.Errorf("macro %v → %v, reports say %v → %v", c.MacroBefore, c.MacroAfter, before.MacroF1, after.MacroF1)
	}
}
