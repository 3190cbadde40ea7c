package textdiff

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/model"
)

// Whatever two texts a feed sends, Compare stays within its bounds, says
// nothing changed for the same text, and every line it keeps comes from
// one side or the other.
func FuzzCompare(f *testing.F) {
	f.Add("The group met. It adjourned.", "The group met. It adjourned early. A report follows.")
	f.Add("a\nb\nc", "c\nb\na")
	f.Add("Rev. 1 of C26/51.", "Rev. 2 of C26/51! 1,234 views.")
	f.Add("", "\x00\xff <!channel>")
	f.Fuzz(func(t *testing.T, old, new string) {
		if d := Compare(new, new); d != nil {
			t.Fatalf("Compare of a text with itself = %+v", d)
		}
		d := Compare(old, new)
		if d == nil {
			return
		}
		if len(d.Lines) > MaxLines {
			t.Fatalf("%d lines", len(d.Lines))
		}
		words := map[string]bool{"…": true}
		for _, w := range strings.Fields(old + " " + new) {
			words[w] = true
		}
		for _, l := range d.Lines {
			for _, p := range l.Parts {
				if !utf8.ValidString(p.Text) && utf8.ValidString(old) && utf8.ValidString(new) {
					t.Fatalf("part %q is not valid UTF-8", p.Text)
				}
				for _, w := range strings.Fields(p.Text) {
					if !words[w] {
						t.Fatalf("word %q in %+v comes from neither text", w, l)
					}
				}
				if l.Kind != model.DiffChanged && p.Op != "" {
					t.Fatalf("an %s line has a %s part", l.Kind, p.Op)
				}
			}
		}
	})
}
