// Package didyoumean measures how far a mistyped word is from the words a
// user could have meant, so config, rule-pack and chat errors can suggest
// the right one.
package didyoumean

import (
	"strings"
	"unicode/utf8"
)

// maxRunes bounds the work on hostile input: nobody mistypes a 65-letter
// keyword, and the table is quadratic.
const maxRunes = 64

// Far is the distance reported for words too long to compare.
const Far = 1 << 30

// Distance is the optimal-string-alignment distance over runes: an
// insertion, a deletion, a substitution or a swap of neighbours costs one,
// because swapped letters are the commonest typo.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > maxRunes || len(rb) > maxRunes {
		return Far
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// Closest returns the candidate the user most likely meant by word, or ""
// when none is near enough to be worth suggesting: a wrong suggestion costs
// a policy person more than the list of what is allowed.
//
// Case and the separators - and _ do not count, because people mix them up
// in ids and keys ("max-pages" for max_pages, "mandate_creep" for
// mandate-creep). A word of three letters or more that begins candidates
// was cut short ("mandate", "sub"), and its shortest completion is the
// likeliest. Otherwise the nearest candidate counts if it is at most two
// edits away (three for words of ten letters or more, whose typos come in
// more places) and leaves at least one letter of the word standing; ties go
// to the candidate listed first.
func Closest(word string, candidates []string) string {
	w := fold(word)
	n := utf8.RuneCountInString(w)
	if n >= 3 {
		best, bestLen := "", 0
		for _, c := range candidates {
			if fc := fold(c); strings.HasPrefix(fc, w) && (best == "" || len(fc) < bestLen) {
				best, bestLen = c, len(fc)
			}
		}
		if best != "" {
			return best
		}
	}
	limit := 2
	if n >= 10 {
		limit = 3
	}
	best, bestD := "", limit+1
	for _, c := range candidates {
		if d := Distance(w, fold(c)); d < bestD && d < n {
			best, bestD = c, d
		}
	}
	return best
}

func fold(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }
