package render

import (
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

func TestMatchedIn(t *testing.T) {
	for lang, want := range map[string]string{"": "", "en": "", "fr": ", matched in French", "zh": ", matched in Chinese", "xx": ""} {
		if got := matchedIn(lang); got != want {
			t.Errorf("matchedIn(%q) = %q, want %q", lang, got, want)
		}
	}
}

func TestTextSaysTheLanguage(t *testing.T) {
	a := model.Alert{ID: 3, Kind: model.AlertNew, Item: model.Item{SourceID: "itu-news", Title: "Les services OTT à l'UIT"},
		Matches: []model.Match{{Topic: "ott", Severity: model.SeverityMedium, Score: 6, Language: "fr"}}}
	if got := FormatText(a); !strings.Contains(got, "ott (medium, score 6, matched in French)") {
		t.Errorf("text of a French match:\n%s", got)
	}
}
