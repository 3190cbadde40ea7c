package textdiff

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkCompareTypical: an update of a 40-sentence text, one sentence
// reworded and one added.
func BenchmarkCompareTypical(b *testing.B) {
	var a, c strings.Builder
	for i := range 40 {
		fmt.Fprintf(&a, "Sentence %d of the consultation text says something about IPv6. ", i)
	}
	c.WriteString(strings.Replace(a.String(), "Sentence 20 of", "Sentence 20, revised, of", 1) + "A new sentence is added.")
	for b.Loop() {
		Compare(a.String(), c.String())
	}
}

// BenchmarkCompareHuge: two 700 KB texts that differ everywhere, cut to
// MaxInputBytes and compared by presence past maxSentenceEdits.
func BenchmarkCompareHuge(b *testing.B) {
	var a, c strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&a, "Sentence number %d says something. ", i)
		fmt.Fprintf(&c, "Sentence number %d says something else. ", 20000-i)
	}
	for b.Loop() {
		Compare(a.String(), c.String())
	}
}
