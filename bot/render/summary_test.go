package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/model"
)

// hostileSummary carries markup and control characters where the config
// and rule pack would never put them, to show they are neutralised anyway.
func hostileSummary() model.Alert {
	a := bottest.Summary()
	a.Held.Source = "<!channel> @room\x1b[31m<b>x</b>"
	a.Held.Topics = []string{"<@U123>\x07", "*bold* _it_ `code`"}
	a.Held.Count = 1
	return a
}

func TestSummaryGolden(t *testing.T) {
	golden(t, "summary.txt", []byte(FormatText(bottest.Summary())+"\n"))
	b, err := FormatJSON(bottest.Summary())
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

	if b, _ := FormatJSON(bottest.NewIP()); bytes.Contains(b, []byte(`"held"`)) {
		t.Errorf("an ordinary alert's JSON has a held key: %s", b)
	}
}

func TestSummaryWords(t *testing.T) {
	w := Summary(bottest.Summary(), "")
	for _, want := range []string{"+980 more alerts from flood-wire were not posted", "the 20 most severe and newest were posted, the other 980 are stored", "recent new-ip 20", "recent wsis 20", "search <words>", "explain <number>"} {
		if !strings.Contains(w.Headline+" "+w.Detail+" "+w.Hint, want) {
			t.Errorf("summary words lack %q: %+v", want, w)
		}
	}
	if w := Summary(hostileSummary(), ""); !strings.HasPrefix(w.Headline, "+1 more alert from ") || !strings.HasSuffix(w.Headline, " was not posted") {
		t.Errorf("one held alert reads %q", w.Headline)
	}
	text := FormatText(hostileSummary())
	bottest.AssertTerminalSafe(t, text)
	if strings.Contains(text, "\x1b") || strings.Count(text, "\n") != 3 {
		t.Errorf("hostile summary not neutralised:\n%s", text)
	}
}
