package render

import (
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/textdiff"
)

func TestDiffViewKeepsWordsApartAndCuts(t *testing.T) {
	d := textdiff.Compare("The group discussed the proposal.", "The group discussed the proposal on New IP at length.")
	textdiff.MarkHits(d, []model.Match{{Hits: []model.Hit{{Text: "New IP"}}}})
	v := NewDiffView(d, 4, MaxDiffLineRunes)
	if got, want := PlainLine(v.Lines[0], "«", "»"), "The group discussed the [-proposal.-] {+proposal on «New IP» at length.+}"; got != want {
		t.Errorf("PlainLine = %q, want %q", got, want)
	}

	long := strings.Repeat("word ", 200)
	d = textdiff.Compare("Start.", "Start. New "+long+"\x1b[2J end.")
	v = NewDiffView(d, 4, 50)
	line := PlainLine(v.Lines[0], "", "")
	if v.Lines[0].Kind != model.DiffAdded || strings.Contains(line, "\x1b") {
		t.Errorf("line %+v, want the added sentence, cleaned", v.Lines[0])
	}
	if n := len([]rune(line)); n > 50 || !strings.HasSuffix(line, "…") {
		t.Errorf("line of %d runes %q, want at most 50 ending in …", n, line)
	}

	var many strings.Builder
	for i := range 10 {
		many.WriteString("Sentence " + string(rune('A'+i)) + " is new. ")
	}
	v = NewDiffView(textdiff.Compare("Old.", "Old. "+many.String()), 4, 100)
	if len(v.Lines) != 4 || v.More != 6 || v.MoreLine("/itu ", 9) != "(+6 more changes; /itu explain 9 shows them)" {
		t.Errorf("lines %d, more %d (%q): want 4 shown and 6 more", len(v.Lines), v.More, v.MoreLine("/itu ", 9))
	}
	if h := v.Heading(); h != "What changed: 10 sentences added" {
		t.Errorf("heading %q", h)
	}
	if NewDiffView(nil, 4, 100) != nil {
		t.Error("a nil diff has a view")
	}
}

// A hostile diff reaches the terminal without control sequences.
func TestHostileDiffIsTerminalSafe(t *testing.T) {
	out := FormatText(bottest.HostileDiff())
	bottest.AssertTerminalSafe(t, out)
	if !strings.Contains(out, "+ <!channel> @room read <b>this</b> <https://evil.example|") {
		t.Errorf("the added sentence is missing:\n%s", out)
	}
}
