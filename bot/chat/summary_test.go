package chat

import (
	"context"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
)

// Every command a summary's hint names exists.
func TestSummaryHintNamesCommands(t *testing.T) {
	w := render.Summary(bottest.Summary(), "")
	for _, cmd := range []string{"recent", "search", "explain"} {
		if !strings.Contains(w.Hint, cmd) || !strings.Contains(commandsHelp(), cmd) {
			t.Errorf("the hint names %q, which is not a chat command", cmd)
		}
	}
}

func commandsHelp() string {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	return strings.Join(names, " ")
}

// explain on a summary's number says what it stands for; on a held alert,
// where it was not posted and why.
func TestExplainSummaryAndHeldAlert(t *testing.T) {
	q := newFakeQueries()
	sum := bottest.Summary()
	held := bottest.NewIP()
	held.ID, held.HeldFrom = 77, []string{"slack:#itu-alerts"}
	q.alerts = append(q.alerts, sum, held)
	r := newTestRouter(q, &bottest.Clock{T: bottest.T0})

	reply := r.Handle(context.Background(), Request{Platform: "console", Text: "explain 1021"})
	text := replyText(reply)
	for _, want := range []string{"Summary #1021", "+980 more alerts from flood-wire were not posted", "recent new-ip 20"} {
		if !strings.Contains(text, want) {
			t.Errorf("explain of a summary lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "untitled") || strings.Contains(text, "matched (") {
		t.Errorf("explain treats the summary as an alert:\n%s", text)
	}

	q.alerts = []model.Alert{held}
	if text := replyText(r.Handle(context.Background(), Request{Platform: "console", Text: "recent"})); !strings.Contains(text, "held back by the per-poll limit") {
		t.Errorf("recent does not mark the held alert:\n%s", text)
	}
	text = replyText(r.Handle(context.Background(), Request{Platform: "console", Text: "explain 77"}))
	if !strings.Contains(text, "Not posted to slack:#itu-alerts") {
		t.Errorf("explain of a held alert does not say where it was held:\n%s", text)
	}
}

func replyText(r Reply) string {
	s := r.Title + "\n"
	for _, l := range r.Lines {
		s += l.Text + " | " + l.Note + "\n"
	}
	return s + r.Footer
}
