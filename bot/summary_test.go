package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

func summaryAlert() model.Alert {
	return model.Alert{
		ID:        1021,
		Kind:      model.AlertSummary,
		Item:      model.Item{SourceID: "flood-wire"},
		Held:      &model.HeldAlerts{Source: "flood-wire", Destination: "slack:#itu-alerts", Count: 980, Limit: 20, Topics: []string{"new-ip", "wsis"}},
		CreatedAt: day,
	}
}

// hostileSummary carries markup and control characters where the config
// and rule pack would never put them, to show they are neutralised anyway.
func hostileSummary() model.Alert {
	a := summaryAlert()
	a.Held.Source = "<!channel> @room\x1b[31m<b>x</b>"
	a.Held.Topics = []string{"<@U123>\x07", "*bold* _it_ `code`"}
	a.Held.Count = 1
	return a
}

func TestSummaryGolden(t *testing.T) {
	golden(t, "summary.txt", []byte(FormatText(summaryAlert())+"\n"))
	b, err := FormatJSON(summaryAlert())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || bytes.ContainsAny(b, "\n\r") {
		t.Fatalf("summary JSON is not one line of JSON: %v\n%s", err, b)
	}
	held, _ := m["held"].(map[string]any)
	if m["kind"] != "summary" || held["count"] != float64(980) || held["source"] != "flood-wire" {
		t.Errorf("summary JSON = %s, want kind summary and held.count 980 from flood-wire", b)
	}
	golden(t, "summary.json", append(b, '\n'))

	if b, _ := FormatJSON(newIPAlert()); bytes.Contains(b, []byte(`"held"`)) {
		t.Errorf("an ordinary alert's JSON has a held key: %s", b)
	}
}

func TestSummaryWords(t *testing.T) {
	w := Summary(summaryAlert(), "")
	for _, want := range []string{"+980 more alerts from flood-wire were not posted", "the 20 most severe and newest were posted, the other 980 are stored", "recent new-ip 20", "recent wsis 20", "search <words>", "explain <number>"} {
		if !strings.Contains(w.Headline+" "+w.Detail+" "+w.Hint, want) {
			t.Errorf("summary words lack %q: %+v", want, w)
		}
	}
	// Every command the hint names exists.
	for _, cmd := range []string{"recent", "search", "explain"} {
		if !strings.Contains(commandsHelp(), cmd) {
			t.Errorf("the hint names %q, which is not a chat command", cmd)
		}
	}
	if w := Summary(hostileSummary(), ""); !strings.HasPrefix(w.Headline, "+1 more alert from ") || !strings.HasSuffix(w.Headline, " was not posted") {
		t.Errorf("one held alert reads %q", w.Headline)
	}
	text := FormatText(hostileSummary())
	assertTerminalSafe(t, text)
	if strings.Contains(text, "\x1b") || strings.Count(text, "\n") != 3 {
		t.Errorf("hostile summary not neutralised:\n%s", text)
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
	sum := summaryAlert()
	held := newIPAlert()
	held.ID, held.HeldFrom = 77, []string{"slack:#itu-alerts"}
	q.alerts = append(q.alerts, sum, held)
	r := newTestRouter(q, &fakeClock{t: t0})

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
