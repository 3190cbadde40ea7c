package render

import (
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
)

func TestViewBriefensOnlyExplainedTopics(t *testing.T) {
	a := bottest.MultiTopic()
	v := NewAlertView(a, ViewOptions{Explained: map[string]bool{"ott": true, "cybersecurity": true, "surveillance": false}, CommandPrefix: "!itu "})
	want := "as in today's first alert on this topic; !itu explain 57 repeats it"
	if m := v.Matches[0]; m.Why != want || !m.Brief {
		t.Errorf("ott why = %q (brief %v), want %q", m.Why, m.Brief, want)
	}
	if m := v.Matches[1]; m.Why != "" || m.Brief {
		t.Errorf("a topic without a paragraph got %q", m.Why)
	}
	if m := v.Matches[2]; m.Why != a.Matches[2].Annotation || m.Brief {
		t.Errorf("surveillance why = %q, want the paragraph", m.Why)
	}
	if c := NewAlertView(a, ViewOptions{Explained: map[string]bool{"ott": true}}); c.Matches[0].Why != "as in today's first alert on this topic; 'explain 57' in ituwatch chat repeats it" {
		t.Errorf("console pointer = %q", c.Matches[0].Why)
	}
}

func TestViewTitleAndOutlets(t *testing.T) {
	a := bottest.NewIP()
	a.Item.Title = " \x1b[0m\t"
	for i := 0; i < 12; i++ {
		a.AlsoReportedBy = append(a.AlsoReportedBy, "outlet")
	}
	v := NewAlertView(a, ViewOptions{})
	if v.Title != "(untitled item)" {
		t.Errorf("title of an item with none = %q", v.Title)
	}
	if n := len(v.AlsoReported); n != 11 || v.AlsoReported[10] != "+2 more" {
		t.Errorf("also reported = %q, want ten outlets and +2 more", v.AlsoReported)
	}
}

func TestMetaLine(t *testing.T) {
	day := bottest.Day
	tests := []struct {
		name  string
		meta  Meta
		style MetaStyle
		want  string
	}{
		{"iso", Meta{Source: "itu-council", Date: day, Doc: "C26/51 Rev.1 [E, F]"}, ISOMeta, "itu-council · 2026-11-20 · doc C26/51 Rev.1 [E, F]"},
		{"written-out date, bare number", Meta{Source: "itu-council", Date: day, Doc: "C26/51"}, MetaStyle{DateLayout: "2 Jan 2006"}, "itu-council · 20 Nov 2026 · C26/51"},
		{"date in UTC", Meta{Date: time.Date(2026, 11, 21, 1, 0, 0, 0, time.FixedZone("UTC+3", 3*3600))}, ISOMeta, "2026-11-20"},
		{"nothing known", Meta{}, ISOMeta, ""},
	}
	for _, tt := range tests {
		if got := tt.meta.Line(tt.style); got != tt.want {
			t.Errorf("%s: Line = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := ItemMeta(bottest.Update().Item); got.Line(ISOMeta) != "itu-council-docs · 2026-11-20 · doc C26/51 Rev.1 [E, F] · proposed by Russian Federation, RCC" {
		t.Errorf("ItemMeta(update) = %+v", got)
	}
}
