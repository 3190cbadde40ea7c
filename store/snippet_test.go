package store

import (
	"slices"
	"strings"
	"testing"
)

// textTokens splits exactly as ftsTokens does (which agrees with FTS5's
// tokenizer, see TestFTSTokens), and its spans are the words' own bytes.
func TestTextTokens(t *testing.T) {
	for _, s := range []string{
		"Council document C26/51-E", "over-the-top", "Résolution 102, São Paulo", "ITU-T's  Study\tGroup",
		"Россия и МСЭ", "国际电信联盟。日本", "e\u0301te\u0301 — «quoted» ǅ 😀x", "", "  ", "x¹ ª ٣٠",
	} {
		toks := textTokens(s)
		var words []string
		for _, tk := range toks {
			words = append(words, tk.word)
			if got := ftsTokens(s[tk.start:tk.end]); len(got) != 1 || got[0] != tk.word {
				t.Errorf("%q: span %q of word %q splits as %q", s, s[tk.start:tk.end], tk.word, got)
			}
		}
		if want := ftsTokens(s); !slices.Equal(words, want) {
			t.Errorf("textTokens(%q) = %q, ftsTokens says %q", s, words, want)
		}
	}
}

func TestTextSnippet(t *testing.T) {
	mark := func(s string) string {
		return strings.NewReplacer(hitOpen, "[", hitClose, "]").Replace(s)
	}
	p := func(qs ...string) [][]string {
		var out [][]string
		for _, q := range qs {
			out = append(out, ftsTokens(q))
		}
		return out
	}
	long := "One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty sovereignty twenty-two twenty-three twenty-four twenty-five twenty-six twenty-seven twenty-eight twenty-nine thirty."
	for _, tt := range []struct {
		text    string
		phrases [][]string
		want    string
	}{
		{"The vendor's new IP camera records video.", p("new ip", "vendor"), "The [vendor]'s [new IP] camera records video."},
		{"Draft Résolution 102 (Rev. Dubai).", p("resolution"), "Draft [Résolution] 102 (Rev. Dubai)."},
		{"Council document C20/51-E", p("C20/51"), "Council document [C20/51]-E"},
		{"The new IP plan", p("new", "ip"), "The [new] [IP] plan"}, // two words, two marks, as FTS5
		{"a b a b a", p("a b", "b a"), "[a b a b a]"},              // overlapping phrases, one mark
		// 16 words, the hit in the middle (hyphenated words are two).
		{long, p("sovereignty"), "…fourteen fifteen sixteen seventeen eighteen nineteen twenty [sovereignty] twenty-two twenty-three twenty-four twenty-five…"},
		{long, p("nothing"), "One two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen…"},
		{long, p("thirty"), "…two twenty-three twenty-four twenty-five twenty-six twenty-seven twenty-eight twenty-nine [thirty]."},
		{"--", p("x"), ""},
		{"", p("x"), ""},
	} {
		if got := mark(textSnippet(tt.text, tt.phrases)); got != tt.want {
			t.Errorf("textSnippet(%q, %q)\n got %s\nwant %s", tt.text, tt.phrases, got, tt.want)
		}
	}
}
