package store

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// search_fold (migration 0014, Postgres) splits and folds text as
// ftsTokens does, which splits as SQLite's FTS5 tokenizer (TestFTSTokens):
// so the words a Postgres search finds are the words a SQLite one finds,
// and the Go-side tiers and snippets mark the same words.
func TestSearchFoldAgreesWithFTSTokens(t *testing.T) {
	t.Run(DriverPostgres, func(t *testing.T) {
		s, _ := openTest(t)
		for _, text := range []string{
			"Council document C20/51-E (Rev.1)", "over-the-top", "ITU-T's  Study\tGroup 13",
			"Résolution 102 (Rév. Dubaï, 2018) — São Paulo, Zürich, Ærø, İstanbul",
			"see https://www.itu.int/md/S26-CL-C-0051/en?x=1&y=2#top or mail tsbtsag@itu.int",
			"1.5 GHz, 3,400–3,800 MHz; v1.2.3; 50% «quoted» “curly” ‘single’ …",
			"Россия и МСЭ: Резолюция №102", "مشروع القرارُ ١٠٢ للاتحاد الدولي للاتصالات",
			"国际电信联盟（国际电联）第102号决议。", "Ελληνικά κείμενα", "emoji 😀 between ✓ words ★",
			"tab\tnew\nline\r\nend", "",
		} {
			var folded string
			if err := s.r.QueryRowContext(context.Background(), `SELECT search_fold(?)`, text).Scan(&folded); err != nil {
				t.Fatal(err)
			}
			got := strings.Fields(folded)
			if want := ftsTokens(text); !slices.Equal(got, want) {
				t.Errorf("search_fold(%q)\n = %q\nftsTokens says %q", text, got, want)
			}
		}
	})
}

func TestPGQueryText(t *testing.T) {
	for _, tt := range []struct {
		phrases []string // phraseto_tsquery's texts
		want    string
	}{
		{[]string{"'itu'"}, "('itu')"},
		{[]string{"'new' <-> 'ip'"}, "(('new':A <-> 'ip':A) | ('new':B <-> 'ip':B) | ('new':C <-> 'ip':C))"},
		{[]string{"'c20' <-> '51' <-> 'e'", "'council'"}, "(('c20':A <-> '51':A <-> 'e':A) | ('c20':B <-> '51':B <-> 'e':B) | ('c20':C <-> '51':C <-> 'e':C)) & ('council')"},
	} {
		if got := pgAll(tt.phrases, pgAnyField); got != tt.want {
			t.Errorf("%q:\n got %s\nwant %s", tt.phrases, got, tt.want)
		}
	}
}
