package model

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestComparableText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  two   spaces\n\tand a tab ", "two spaces and a tab"},
		{"Last updated 3 Dec 2026.", "Last updated."},
		{"Page last updated: 10 November 2026", "Page last updated"},
		{"Updated on Monday, 7 December 2026 at 09:14 UTC", "Updated on"},
		{"Published 2026-12-03T10:00Z by the secretariat", "Published by the secretariat"},
		{"modified 03.12.2026", "modified"},
		{"Posted Dec 3, 2026", "Posted"},
		{"1,234 views", ""},
		{"Read by 12 visitors · shared", "Read by shared"},
		{"Visitors today: 4 211", ""},
		{"Views: 1 480. Next", "Next"},
		{"read 87 times", ""},
		{"https://x.org/a?utm_source=f&id=2#s", "https://x.org/a?id=2#s"},
		{"https://x.org/a?fbclid=1", "https://x.org/a"},
		// Dates and numbers that are news stay.
		{"The meeting moves from 3 March 2027 to 5 March 2027.", "The meeting moves from 3 March 2027 to 5 March 2027."},
		{"Resolution 102 has 12 annexes.", "Resolution 102 has 12 annexes."},
		{"The deadline was updated to 5 March 2027.", "The deadline was updated to 5 March 2027."},
	}
	for _, tt := range tests {
		if got := ComparableText(tt.in); got != tt.want {
			t.Errorf("ComparableText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// model imports nothing of ituwatch, so it keeps its own list of tracking
// parameters; it must drop what internal/links drops from an item's link.
func TestFingerprintIgnoresChurn(t *testing.T) {
	a := Item{Title: "T", Content: "Text.  1,234 views. Last updated 3 Dec 2026.", Link: "https://x.org/a?utm_source=x"}
	b := Item{Title: "T", Content: "Text. 1,299 views.\nLast updated 4 Dec 2026.", Link: "https://x.org/a"}
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("churn changed the fingerprint")
	}
	b.Content = "Text changed. 1,299 views."
	if a.Fingerprint() == b.Fingerprint() {
		t.Error("a real change kept the fingerprint")
	}
}

// collapseSpace's fast path returns tidy text as is; whatever it returns
// must be the plain definition.
func TestCollapseSpaceFastPath(t *testing.T) {
	alphabet := []string{"a", "b", " ", "  ", "\n", "\t", "\u00a0", "\u2003", "é", "1"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		s := b.String()
		if got, want := collapseSpace(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Fatalf("collapseSpace(%q) = %q, want %q", s, got, want)
		}
	}
}
