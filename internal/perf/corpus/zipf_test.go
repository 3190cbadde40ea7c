package corpus

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// A store built from ZipfText must hold tens of thousands of distinct words
// with a long tail, or the search benchmark measures a toy index.
func TestZipfTextVocabulary(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	counts := map[string]int{}
	for range 20_000 {
		for _, w := range strings.Fields(ZipfText(r, 700, 40)) {
			counts[strings.ToLower(strings.Trim(w, ".,"))]++
		}
	}
	once := 0
	for _, c := range counts {
		if c == 1 {
			once++
		}
	}
	t.Logf("%d distinct words, %d seen once", len(counts), once)
	if len(counts) < 20_000 || once < 2_000 {
		t.Fatalf("%d distinct words, %d seen once: want ≥ 20,000 and a long tail", len(counts), once)
	}
}
