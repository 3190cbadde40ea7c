package rules

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestReadCorpus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantIDs []string
		wantErr string
	}{
		{"good", `{"id":"a","title":"T","text":"x","labels":["new-ip"]}` + "\n\n" + `{"id":"b","title":"U","text":"y","labels":[]}` + "\n", []string{"a", "b"}, ""},
		{"bad json", `{"id":"a"}` + "\n" + `{"id":` + "\n", nil, "line 2: not a labelled item"},
		{"unknown field", `{"id":"a","url":"https://example.org/a"}`, []string{"a"}, ""},
		{"missing id", `{"title":"a"}`, nil, "line 1: id is missing"},
		{"duplicate id", `{"id":"a"}` + "\n" + `{"id":"a"}`, nil, `line 2: id "a" is already used on line 1`},
		{"two objects", `{"id":"a"} {"id":"b"}`, nil, "line 1: more than one JSON object"},
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
		var ids []string
		for _, it := range got {
			ids = append(ids, it.ID)
		}
		if !reflect.DeepEqual(ids, tt.wantIDs) {
			t.Errorf("%s: ids %v, want %v", tt.name, ids, tt.wantIDs)
		}
	}
}

func TestEvaluate(t *testing.T) {
	e := mustEngine(t, `pack: t
topics:
  - {id: alpha, name: A, severity: low, match: {phrase: alpha}}
  - {id: beta, name: B, severity: low, match: {phrase: beta}}
  - {id: quiet, name: Q, severity: low, match: {phrase: never-said}}
`)
	corpus := []LabelledItem{
		{ID: "1", Title: "alpha", Labels: []string{"alpha"}},               // alpha TP
		{ID: "2", Text: "alpha and beta", Labels: []string{"alpha"}},       // alpha TP, beta FP
		{ID: "3", Text: "nothing", Labels: []string{"alpha", "beta"}},      // alpha FN, beta FN
		{ID: "4", Text: "beta", Labels: []string{"beta", "unknown-topic"}}, // beta TP
		{ID: "5", Text: "alpha"},                                           // alpha FP
	}
	rep := Evaluate(e, corpus)
	want := map[string]TopicScore{
		"alpha": {Precision: 2.0 / 3, Recall: 2.0 / 3, F1: 2.0 / 3, TP: 2, FP: 1, FN: 1},
		"beta":  {Precision: 0.5, Recall: 0.5, F1: 0.5, TP: 1, FP: 1, FN: 1},
		"quiet": {Precision: 1, Recall: 1, F1: 1},
	}
	for id, w := range want {
		g := rep.Topics[id]
		if g.TP != w.TP || g.FP != w.FP || g.FN != w.FN || !near(g.Precision, w.Precision) || !near(g.Recall, w.Recall) || !near(g.F1, w.F1) {
			t.Errorf("%s: %+v, want %+v", id, g, w)
		}
	}
	if len(rep.Topics) != 3 {
		t.Errorf("%d topics scored, want 3 (labels of unknown topics are ignored)", len(rep.Topics))
	}
	if wantMacro := (2.0/3 + 0.5 + 1) / 3; !near(rep.MacroF1, wantMacro) {
		t.Errorf("macro F1 %v, want %v", rep.MacroF1, wantMacro)
	}
	wantMistakes := []Mistake{
		{ItemID: "2", Topic: "beta", Kind: "false positive", Cause: `triggered by "beta" in the first paragraph`, Score: 1},
		{ItemID: "3", Topic: "alpha", Kind: "false negative", Cause: "not matched"},
		{ItemID: "3", Topic: "beta", Kind: "false negative", Cause: "not matched"},
		{ItemID: "5", Topic: "alpha", Kind: "false positive", Cause: `triggered by "alpha" in the first paragraph`, Score: 1},
	}
	if !reflect.DeepEqual(rep.Mistakes, wantMistakes) {
		t.Errorf("mistakes %+v\nwant %+v", rep.Mistakes, wantMistakes)
	}
}

func TestEvaluateNoPredictions(t *testing.T) {
	e := mustEngine(t, "pack: t\ntopics:\n  - {id: a, name: A, severity: low, match: {phrase: alpha}}\n")
	rep := Evaluate(e, []LabelledItem{{ID: "1", Text: "x", Labels: []string{"a"}}})
	if s := rep.Topics["a"]; s.F1 != 0 || s.Recall != 0 || s.FN != 1 {
		t.Errorf("missed positive: %+v", s)
	}
	rep = Evaluate(e, []LabelledItem{{ID: "1", Text: "alpha"}})
	if s := rep.Topics["a"]; s.F1 != 0 || s.Precision != 0 || s.FP != 1 {
		t.Errorf("false alarm: %+v", s)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
