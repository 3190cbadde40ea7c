package itudoc

import (
	"slices"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

func TestLanguages(t *testing.T) {
	for code, name := range map[string]string{"en": "English", "fr": "French", "es": "Spanish", "ar": "Arabic", "zh": "Chinese", "ru": "Russian", "de": "de", "": ""} {
		if got := LanguageName(code); got != name {
			t.Errorf("LanguageName(%q) = %q, want %q", code, got, name)
		}
	}
	labels := []struct {
		in   string
		want string // "" for not a language
	}{
		{"E", "en"}, {" fr ", "fr"}, {"Français", "fr"}, {"ESPAÑOL", "es"}, {"العربية", "ar"}, {"中文", "zh"}, {"Русский", "ru"},
		{"pdf", ""}, {"", ""}, {"Word", ""},
	}
	for _, tt := range labels {
		got, ok := LanguageOfLabel(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("LanguageOfLabel(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestAddLanguageKeepsITUOrder(t *testing.T) {
	ref := &model.DocumentRef{Number: "C26/51"}
	for _, l := range []string{"ru", "", "fr", "xx", "en", "fr", "zh"} {
		AddLanguage(ref, l)
	}
	if want := []string{"en", "fr", "zh", "ru", "xx"}; !slices.Equal(ref.Languages, want) {
		t.Errorf("languages = %q, want %q", ref.Languages, want)
	}
}
