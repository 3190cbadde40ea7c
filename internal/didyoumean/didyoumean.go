// Package didyoumean measures how far a mistyped word is from the words a
// user could have meant, so config, rule-pack and chat errors can suggest
// the right one.
package didyoumean

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
