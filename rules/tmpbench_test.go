package rules

import "testing"

func BenchmarkTokenize(b *testing.B) {
	b.SetBytes(int64(len(benchText)))
	var t tokenizer
	for b.Loop() {
		t.reset(benchText)
		for t.next() {
		}
	}
}

func BenchmarkScanOnly(b *testing.B) {
	e := mustEngine(b, generatedPack(5000, 50))
	s := newState(e)
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		s.begin()
		s.scan(e, 2, benchText)
	}
}
