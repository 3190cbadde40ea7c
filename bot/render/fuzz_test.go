package render

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/model"
)

// FuzzClean checks that nothing a feed sends survives as a control
// character, that cleaning is idempotent, and that snippets stay bounded
// with balanced markers.
func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"plain", "\x1b[31mred\x1b[0m", "\x1b]8;;http://x\x07link\x1b]8;;\x07", "\u009b2J", "\u009d0;t\u009c",
		"a\r\nb\tc", "\xff\xfe", "rtl\u202e", "\x1bP+q\x1b\\", "\x1b", "**bold**",
	} {
		f.Add(s, 20)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		c := Clean(s)
		if !utf8.ValidString(c) {
			t.Fatalf("Clean(%q) = %q is not UTF-8", s, c)
		}
		for _, r := range c {
			if isControl(r) {
				t.Fatalf("Clean(%q) = %q keeps %U", s, c, r)
			}
		}
		if c != strings.TrimSpace(c) || strings.Contains(c, "  ") {
			t.Fatalf("Clean(%q) = %q: white space not collapsed", s, c)
		}
		if cc := Clean(c); cc != c {
			t.Fatalf("Clean not idempotent: %q -> %q -> %q", s, c, cc)
		}
		max = max%300 + 1
		if max < 1 {
			max = -max + 1
		}
		sn := model.Snippet{Parts: []model.SnippetPart{{Text: s}, {Text: s, Hit: true}, {Text: s}}}
		out := HighlightSnippet(sn, max).Plain()
		if utf8.RuneCountInString(out) > max {
			t.Fatalf("HighlightSnippet(%q, %d) = %q is too long", s, max, out)
		}
		for _, r := range out {
			if isControl(r) {
				t.Fatalf("HighlightSnippet keeps %U", r)
			}
		}
	})
}

// FuzzFormat: whatever a feed puts in an item, the console text and the JSON
// line stay single-purpose: no control characters (so no terminal escapes),
// no extra lines from feed text, valid JSON that round-trips.
func FuzzFormat(f *testing.F) {
	h := bottest.Hostile()
	f.Add(h.Item.Title, h.Item.Link, h.Item.SourceID, "New IP", h.Matches[0].Annotation)
	f.Add("<!channel> <!here> @room @everyone", "javascript:alert(1)", "s", "<@U123>", "[x](http://evil)")
	f.Add("line\nline\rline\u2028line\u2029line\u0085", "https://ok.example/a b", "s", "**", "`code`")
	f.Add(strings.Repeat("€", 500), strings.Repeat("/", 500), "", "", "")
	f.Fuzz(func(t *testing.T, title, link, source, hit, annotation string) {
		a := model.Alert{
			ID:   7,
			Kind: model.AlertNew,
			Item: model.Item{SourceID: source, ID: "x", Title: title, Link: link, Summary: title, Published: bottest.Day,
				Document: &model.DocumentRef{Number: hit, Languages: []string{title}}},
			Matches: []model.Match{{
				Topic: "new-ip", TopicName: hit, Severity: model.SeverityHigh, Score: 1, Annotation: annotation,
				Hits:     []model.Hit{{Text: hit}},
				Snippets: []model.Snippet{{Field: "content", Parts: bottest.Parts(title, hit, annotation)}},
			}},
			AlsoReportedBy: []string{source, hit},
			CreatedAt:      bottest.Day,
		}
		text := FormatText(a)
		if !utf8.ValidString(text) {
			t.Fatalf("FormatText is not UTF-8: %q", text)
		}
		for _, c := range text {
			if c != '\n' && isControl(c) {
				t.Fatalf("FormatText keeps %U: %q", c, text)
			}
		}
		if n := strings.Count(text, "\n") + 1; n > 8 {
			t.Fatalf("feed text made the alert %d lines:\n%s", n, text)
		}
		js, err := FormatJSON(a)
		if err != nil {
			t.Fatalf("FormatJSON: %v", err)
		}
		if strings.ContainsAny(string(js), "\n\r") {
			t.Fatalf("JSON line holds a newline: %q", js)
		}
		var back map[string]any
		if err := json.Unmarshal(js, &back); err != nil {
			t.Fatalf("FormatJSON is not JSON: %v: %q", err, js)
		}
		if back["title"] != Clean(title) {
			t.Fatalf("title did not round-trip: %q -> %q", Clean(title), back["title"])
		}
	})
}
