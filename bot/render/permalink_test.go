package render

import (
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/model"
)

func TestPermalinkBuiltOnceOnTheView(t *testing.T) {
	tests := []struct {
		name  string
		base  string
		alert func() model.Alert
		want  string
	}{
		{"no web view", "", bottest.NewIP, ""},
		{"new alert", "https://itu.example.org", bottest.NewIP, "https://itu.example.org/alerts/42"},
		{"base with a path and a slash", "https://example.org/ituwatch/", bottest.NewIP, "https://example.org/ituwatch/alerts/42"},
		{"update", "http://127.0.0.1:8080", bottest.Update, "http://127.0.0.1:8080/alerts/43"},
		// A summary or a digest page is no alert of its own: it has no page.
		{"summary", "https://itu.example.org", bottest.Summary, ""},
		{"digest", "https://itu.example.org", bottest.Digest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := NewAlertView(tt.alert(), ViewOptions{PermalinkBase: tt.base})
			if v.Permalink != tt.want {
				t.Errorf("Permalink = %q, want %q", v.Permalink, tt.want)
			}
		})
	}
}

func TestTextShowsThePermalink(t *testing.T) {
	for _, tc := range []struct {
		name  string
		alert func() model.Alert
	}{{"new", bottest.NewIP}, {"hostile", bottest.Hostile}} {
		t.Run(tc.name, func(t *testing.T) {
			got := Text(NewAlertView(tc.alert(), ViewOptions{PermalinkBase: "https://itu.example.org"}), TextOptions{})
			golden(t, tc.name+"_permalink.txt", []byte(got+"\n"))
			without := Text(NewAlertView(tc.alert(), ViewOptions{}), TextOptions{})
			if strings.Contains(without, "open in ituwatch") {
				t.Errorf("a console without a web view shows a link:\n%s", without)
			}
		})
	}
}

func TestJSONCarriesThePermalink(t *testing.T) {
	b, err := FormatJSONWith(bottest.NewIP(), JSONOptions{PermalinkBase: "https://itu.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"permalink":"https://itu.example.org/alerts/42"`) {
		t.Errorf("JSON line without the permalink: %s", b)
	}
	plain, err := FormatJSON(bottest.NewIP())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(plain), "permalink") {
		t.Errorf("JSON line without a web view names a permalink: %s", plain)
	}
}
