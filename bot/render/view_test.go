package render

import (
	"testing"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
)

func TestViewBriefensOnlyExplainedTopics(t *testing.T) {
	a := bottest.MultiTopic()
	v := NewAlertView(a, ViewOptions{Explained: map[string]bool{"ott": true, "surveillance": false}, CommandPrefix: "!itu "})
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
