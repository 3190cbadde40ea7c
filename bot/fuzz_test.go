package bot

import (
	"strings"
	"testing"
	"unicode/utf8"

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
