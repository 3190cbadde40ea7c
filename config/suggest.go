package config

import (
	"strings"

	"github.com/ituwatch/ituwatch/internal/didyoumean"
)

// suggest returns the candidate closest to word when it is close enough to be
// a plausible typo ("shedule" for "schedule", "allow-private-networks" for
// "allow_private_networks"), or "".
func suggest(word string, candidates []string) string {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", "_") }
	w := norm(word)
	best, bestDist := "", -1
	for _, c := range candidates {
		d := didyoumean.Distance(w, norm(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := 2
	if len(w) >= 10 {
		limit = 3
	}
	if bestDist < 0 || bestDist > limit || bestDist >= len(w) {
		return ""
	}
	return best
}
