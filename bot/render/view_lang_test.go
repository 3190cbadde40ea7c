package render

import "testing"

func TestMatchedIn(t *testing.T) {
	for lang, want := range map[string]string{"": "", "en": "", "fr": ", matched in French", "zh": ", matched in Chinese", "xx": ""} {
		if got := matchedIn(lang); got != want {
			t.Errorf("matchedIn(%q) = %q, want %q", lang, got, want)
		}
	}
}
