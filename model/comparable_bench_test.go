package model

import (
	"strings"
	"testing"
)

// BenchmarkFingerprint measures ComparableText's share of fingerprinting a
// typical item: tidy text with digits and no churn words.
func BenchmarkFingerprint(b *testing.B) {
	it := Item{
		Title:   "TSAG debates New IP successor at ITU-T on 3 December 2026",
		Summary: strings.TrimSpace(strings.Repeat("Delegates at the ITU-T advisory group discussed reviving the New IP proposal first tabled at FG-NET2030 in 2019. ", 3)),
		Content: strings.TrimSpace(strings.Repeat("The Council Working Group met on 12 March 2026 in Geneva and discussed Resolution 102, with 45 Member States present. ", 20)),
		Link:    "https://www.itu.int/en/news/tsag-new-ip",
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = it.Fingerprint()
	}
}
