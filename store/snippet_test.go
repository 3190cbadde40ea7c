package store

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
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

// textSnippet cuts the snippets FTS5's snippet() cuts, word for word, so
// that a search shows the same on both drivers: checked against FTS5
// itself on texts of several sentences.
func TestTextSnippetAgreesWithFTS5(t *testing.T) {
	s, _ := openTest(t) // SQLite: FTS5 is the reference
	ctx := context.Background()
	texts := []string{
		"Delegates at the Telecommunication Standardization Advisory Group discussed whether ITU-T should open a study on a redesigned network layer. Supporters described the proposal as the successor to the so-called New IP concept; several administrations and sector members said the work belongs in the IETF.",
		"Draft report of the Chair. The Group held an open consultation under Resolution 102 and received twelve contributions from Member States: most asked for the text to stay as it is. Resolution 102 (Rev. Bucharest, 2022) is cited throughout.",
		"Operators used an ITU-D workshop to argue that over-the-top services should pay network usage fees, echoing the charging proposals of 2012. Resolution 206 was cited throughout. Nothing was agreed: ITU members will meet again in March.",
		"Short text with ITU once.",
		"One: two three four five six seven eight nine ten eleven twelve thirteen fourteen. Fifteen sixteen seventeen ITU eighteen nineteen twenty twenty-one twenty-two twenty-three.",
	}
	for i, text := range texts {
		it := model.Item{SourceID: "s", ID: fmt.Sprint("t", i), Title: fmt.Sprint("Item ", i), Content: text, Published: t0.Add(time.Duration(i) * time.Hour)}
		mustSave(t, s, model.ItemSave{Item: it, Fingerprint: "f"})
	}
	for _, q := range []string{"ITU", "new ip", `"New IP"`, "resolution", "resolution 102", "network", "cited", "over-the-top", "members", "twenty", "eighteen"} {
		hits, err := s.Search(ctx, q, 50)
		if err != nil {
			t.Fatal(err)
		}
		var words [][]string
		for _, p := range searchPhrases(q) {
			words = append(words, ftsTokens(p))
		}
		for _, h := range hits {
			if got, want := itemSnippet(h.Item, words), h.Snippet; !reflect.DeepEqual(got, want) {
				t.Errorf("%q in %s:\n got %s %q\nFTS5 %s %q", q, h.Item.ID, got.Field, got.Plain("[", "]"), want.Field, want.Plain("[", "]"))
			}
		}
	}
}
