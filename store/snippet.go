package store

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/ituwatch/ituwatch/model"
)

// On Postgres the snippets are cut here rather than by ts_headline: that
// reads the stored text with Postgres's own parser, which keeps
// "C20/51-E" as one file-name token and "www.itu.int" as one host, and
// folds no diacritics, so the words a search matched (split and folded as
// ftsTokens does, see search_pg.go) would often go unmarked. Cutting the
// snippet from the same tokens the ranking reads marks exactly them.

// token is one word of a text as ftsTokens splits it, with the bytes of
// the original text it came from.
type token struct {
	word       string
	start, end int
}

// textTokens splits s as ftsTokens does and says where each word lies.
func textTokens(s string) []token {
	var (
		out   []token
		b     strings.Builder
		start = -1
	)
	flush := func(end int) {
		if b.Len() > 0 {
			out = append(out, token{word: b.String(), start: start, end: end})
			b.Reset()
		}
		start = -1
	}
	for i, r := range s {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || 'A' <= r && r <= 'Z' {
				if start < 0 {
					start = i
				}
				b.WriteRune(unicode.ToLower(r))
			} else {
				flush(i)
			}
			continue
		}
		// A rune decomposes on its own as in the whole string, but for the
		// order of its diacritics, which are dropped.
		for _, d := range norm.NFD.String(string(r)) {
			switch {
			case unicode.Is(unicode.Mn, d):
				// a diacritic: dropped, and it does not split the word
			case unicode.IsLetter(d) || unicode.IsNumber(d) || unicode.Is(unicode.Co, d):
				if start < 0 {
					start = i
				}
				b.WriteRune(unicode.ToLower(d))
			default:
				flush(i)
			}
		}
	}
	flush(len(s))
	return out
}

// textSnippet cuts from text the snippetTokens words that hold the most of
// the phrases (each a list of ftsTokens words), with each phrase found
// wrapped in hitOpen and hitClose, and … where text goes on; as FTS5's
// snippet() does, a text without a phrase gives its first words. It
// returns "" for a text without words.
func textSnippet(text string, phrases [][]string) string {
	toks := textTokens(text)
	if len(toks) == 0 {
		return ""
	}
	type match struct{ phrase, from, to int } // token indexes, to exclusive
	var matches []match
	for pi, p := range phrases {
		if len(p) == 0 {
			continue
		}
		for i := 0; i+len(p) <= len(toks); i++ {
			ok := true
			for j, w := range p {
				if toks[i+j].word != w {
					ok = false
					break
				}
			}
			if ok {
				matches = append(matches, match{pi, i, i + len(p)})
			}
		}
	}
	slices.SortStableFunc(matches, func(a, b match) int { return cmp.Compare(a.from, b.from) })
	n := min(snippetTokens, len(toks))
	// The window is chosen as FTS5's snippet() chooses it (fts5_aux.c), so
	// that both drivers show the same words: for each hit, the window of
	// n words from it is scored (a thousand for each phrase it holds, one
	// for each repeat) and, if best, shifted to centre its hits; the
	// window from the start of the hit's sentence is scored too, with a
	// bonus of 100 (120 at the start of the text).
	score := func(from int) (score, first, last int) {
		seen := map[int]bool{}
		first = -1
		for _, o := range matches {
			if o.from >= from && o.from < from+n {
				if seen[o.phrase] {
					score++
				} else {
					seen[o.phrase] = true
					score += 1000
				}
				if first < 0 {
					first = o.from
				}
				last = o.to
			}
		}
		return score, first, last
	}
	var sentences []int // the words that start a sentence
	for i, t := range toks {
		if i == 0 {
			sentences = append(sentences, 0)
			continue
		}
		j := t.start - 1
		for j >= 0 && (text[j] == ' ' || text[j] == '\t' || text[j] == '\n' || text[j] == '\r') {
			j--
		}
		if j >= 0 && j != t.start-1 && (text[j] == '.' || text[j] == ':') {
			sentences = append(sentences, i)
		}
	}
	best, bestScore := 0, 0
	for _, m := range matches {
		sc, first, last := score(m.from)
		if sc > bestScore {
			adj := first - (n-(last-first))/2
			if adj+n > len(toks) {
				adj = len(toks) - n
			}
			best, bestScore = max(adj, 0), sc
		}
		if len(toks) > n {
			k := 0
			for k < len(sentences)-1 && sentences[k+1] <= m.from {
				k++
			}
			if st := sentences[k]; st < m.from {
				sc, _, _ := score(st)
				if st == 0 {
					sc += 120
				} else {
					sc += 100
				}
				if sc > bestScore {
					best, bestScore = st, sc
				}
			}
		}
	}
	end := min(best+n, len(toks)) // a window from a sentence start may run past the end
	// The phrases found in the window, each marked on its own as FTS5
	// marks them ("new ip" typed as two words gives two marks), those that
	// overlap as one; a phrase that runs past the window is marked as far
	// as it is shown.
	var spans []match
	for _, m := range matches {
		from, to := max(m.from, best), min(m.to, end)
		if from >= to {
			continue
		}
		spans = append(spans, match{from: from, to: to})
	}
	slices.SortFunc(spans, func(a, b match) int { return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to)) })
	var merged []match
	for _, sp := range spans {
		if n := len(merged); n > 0 && sp.from < merged[n-1].to {
			merged[n-1].to = max(merged[n-1].to, sp.to)
			continue
		}
		merged = append(merged, sp)
	}
	var b strings.Builder
	if best > 0 {
		b.WriteString("…")
	}
	pos := toks[best].start
	for _, sp := range merged {
		b.WriteString(text[pos:toks[sp.from].start])
		b.WriteString(hitOpen)
		b.WriteString(text[toks[sp.from].start:toks[sp.to-1].end])
		b.WriteString(hitClose)
		pos = toks[sp.to-1].end
	}
	if end == len(toks) {
		b.WriteString(text[pos:]) // the rest: its closing punctuation
	} else {
		b.WriteString(text[pos:toks[end-1].end])
		b.WriteString("…")
	}
	return b.String()
}

// itemSnippet is bestSnippet over snippets cut by textSnippet.
func itemSnippet(it model.Item, phrases [][]string) model.Snippet {
	return bestSnippet([3]string{
		textSnippet(it.Title, phrases),
		textSnippet(it.Summary, phrases),
		textSnippet(it.Content, phrases),
	})
}
