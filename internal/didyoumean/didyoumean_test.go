package didyoumean

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"schedule", "schedule", 0},
		{"shedule", "schedule", 1},  // deletion
		{"scheduel", "schedule", 1}, // swap of neighbours
		{"rsss", "rss", 1},          // insertion
		{"mandate-creap", "mandate-creep", 1},
		{"", "ott", 3},
		{"sécurité", "securite", 2}, // runes, not bytes
		{string(make([]rune, 65)), "x", Far},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := Distance(tt.b, tt.a); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (not symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}
