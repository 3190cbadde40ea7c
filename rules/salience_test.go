package rules

import (
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

// A long report about something else that names a topic in one sentence
// must not alert on it; the same words in the title, in the opening or
// repeated through the text must.
func TestSalienceOfPassingMentions(t *testing.T) {
	e := compileBuiltinITU(t)
	filler := strings.Repeat("Delegates spent the week on satellite orbit filings, maritime radio channels and the budget for the next four years. ", 14)
	passing := "One delegation also recalled that the ITU once debated Huawei's New IP proposal. "
	tests := []struct {
		name         string
		title, text  string
		want         bool
		wantSalience string
	}{
		{"once deep in a long text", "Radio week in Geneva", filler + passing + filler, false, ""},
		{"in the title", "New IP returns at the ITU", filler + passing + filler, true, "in the title"},
		{"in the opening", "Radio week in Geneva", passing + filler + filler, true, "in the opening of a long text"},
		{"repeated deep", "Radio week in Geneva", filler + passing + filler[:300] + passing + filler[:300] + passing, true, "3 places, deep in a long text"},
		{"short text counts in full", "Radio week", passing, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms := e.Match(&model.Item{Title: tc.title, Content: tc.text})
			var got *model.Match
			for i := range ms {
				if ms[i].Topic == "new-ip" {
					got = &ms[i]
				}
			}
			if (got != nil) != tc.want {
				t.Fatalf("new-ip matched = %v, want %v (%+v)", got != nil, tc.want, ms)
			}
			if got != nil && got.Salience != tc.wantSalience {
				t.Errorf("salience %q, want %q", got.Salience, tc.wantSalience)
			}
		})
	}
}
