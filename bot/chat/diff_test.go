package chat

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/textdiff"
)

// explain shows the whole diff an alert only began: every changed
// sentence, up to a bound, and says when some were left out.
func TestExplainShowsWhatChanged(t *testing.T) {
	var long, longer strings.Builder
	for i := range 40 {
		fmt.Fprintf(&longer, "Paragraph %d of the new text was added. ", i)
	}
	long.WriteString("The text began here.")
	big := bottest.DiffUpdate()
	big.ID = 52
	big.Diff = textdiff.Compare(long.String(), long.String()+" "+longer.String())

	tests := []struct {
		name    string
		alert   model.Alert
		want    []string
		notWant []string
	}{
		{"every line of a short diff", bottest.DiffUpdate(), []string{
			"What changed: 1 sentence reworded, 4 added, 1 removed",
			"reworded\n    «Contributions are due by [-1-] {+15+} March 2027.»",
			"removed\n    «The chair thanked the secretariat.»",
			"added\n    «A second session on IPv6 deployment will follow in May.»",
			"added\n    «Registration opens in January.»",
			"added\n    «A webinar will introduce the consultation.»",
		}, []string{"not shown"}},
		{"a long diff is cut with a note", big, []string{
			"What changed: 40 sentences added",
			"added\n    «Paragraph 19 of the new text was added.»",
			"+20 more changed sentences not shown",
		}, []string{"Paragraph 20 of"}},
		{"no diff, no section", bottest.NewIP(), nil, []string{"What changed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newFakeQueries()
			q.alerts = []model.Alert{tt.alert}
			r := newTestRouter(q, &bottest.Clock{T: bottest.T0})
			reply := r.Handle(context.Background(), Request{Text: fmt.Sprintf("explain %d", tt.alert.ID), Platform: "slack", Channel: "C1", User: "U1"})
			out := RenderPlain(reply)
			if reply.Error {
				t.Fatalf("explain failed:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("reply lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("reply has %q:\n%s", w, out)
				}
			}
			bottest.AssertTerminalSafe(t, out)
		})
	}
}
