package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/model"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./bot -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

var formatCases = []struct {
	name  string
	alert func() model.Alert
}{
	{"new", bottest.NewIP},
	{"update", bottest.Update},
	{"multi_topic", bottest.MultiTopic},
	{"hostile", bottest.Hostile},
	{"diff_update", bottest.DiffUpdate},
	{"diff_hostile", bottest.HostileDiff},
	{"diff_revision", bottest.RevisionDiff},
}

func TestFormatTextGolden(t *testing.T) {
	for _, tc := range formatCases {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name+".txt", []byte(FormatText(tc.alert())+"\n"))
		})
	}
}

func TestFormatJSONGolden(t *testing.T) {
	for _, tc := range formatCases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := FormatJSON(tc.alert())
			if err != nil {
				t.Fatal(err)
			}
			if bytes.ContainsAny(b, "\n\r") {
				t.Errorf("JSON spans several lines: %s", b)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("not valid JSON: %v", err)
			}
			for _, key := range []string{"id", "kind", "parent_id", "change", "title", "url", "source", "published", "document", "topics", "matches", "also_reported_by", "created_at"} {
				if _, ok := m[key]; !ok {
					t.Errorf("key %q missing", key)
				}
			}
			golden(t, tc.name+".json", append(b, '\n'))
		})
	}
}

func TestHostileAlertIsNeutralised(t *testing.T) {
	text := FormatText(bottest.Hostile())
	bottest.AssertTerminalSafe(t, text)
	for _, bad := range []string{"[31m", "[0m", "[2J", "]8;;", "0;title", "[?1049h", "[5m", "[1m"} {
		if strings.Contains(text, bad) {
			t.Errorf("escape sequence remnant %q in:\n%s", bad, text)
		}
	}
	// Eight lines at most: header, title, meta, match, why, also reported.
	if n := strings.Count(text, "\n") + 1; n != 6 {
		t.Errorf("hostile alert printed on %d lines, want 6 (newlines in feed text must not add lines):\n%s", n, text)
	}
	js, _ := FormatJSON(bottest.Hostile())
	var back struct {
		Title string `json:"title"`
	}
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	bottest.AssertTerminalSafe(t, back.Title)
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"  a \t\n b  ", "a b"},
		{"\x1b[31mred\x1b[0m", "red"},
		{"\x1b]0;title\x07after", "after"},
		{"\x1b]0;title\x1b\\after", "after"},
		{"\x1bPdcs\x1b\\x", "x"},
		{"a\x1b(Bb", "ab"},
		{"a\x1bcb", "ab"},
		{"\u009b2Jx", "x"},
		{"\u009d0;t\u009cx", "x"},
		{"bell\x07\x00null", "bellnull"},
		{"rtl\u202eoverride\u2066", "rtloverride"},
		{"bad \xff byte", "bad \ufffd byte"},
		{"trailing esc\x1b", "trailing esc"},
		{"unterminated \x1b]8;;http://x", "unterminated"},
		{"non\u00a0breaking", "non breaking"},
		{"«ünïcödé» 日本", "«ünïcödé» 日本"},
	}
	for _, tt := range tests {
		if got := Clean(tt.in); got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly ten", 11, "exactly ten"},
		{"a few words that go on", 10, "a few…"},
		{"日本語のテキストです", 5, "日本語の…"},
		{"abcdefghij", 4, "abc…"},
		{"x", 0, ""},
	}
	for _, tt := range tests {
		got := Cut(tt.in, tt.max)
		if got != tt.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > max(tt.max, 0) {
			t.Errorf("Cut(%q, %d) = %q: not within %d runes", tt.in, tt.max, got, tt.max)
		}
	}
}

func TestHighlightSnippetFitsAndKeepsHitsWhole(t *testing.T) {
	sn := model.Snippet{Parts: bottest.Parts("lead ", strings.Repeat("hit ", 100), " tail")}
	for max := 1; max < 60; max++ {
		h := HighlightSnippet(sn, max)
		if n := utf8.RuneCountInString(h.Plain()); n > max {
			t.Errorf("max %d: %q is %d runes", max, h.Plain(), n)
		}
		if got := h.Text("[", "]"); strings.Count(got, "[") != strings.Count(got, "]") {
			t.Errorf("max %d: unbalanced emphasis in %q", max, got)
		}
	}
}

// Markdown markers are nobody's emphasis on a terminal or in a file: the
// plain text form shows the words that matched as they are, and a terminal
// that allows colour shows them in ANSI bold.
func TestTextEmphasis(t *testing.T) {
	plain := FormatText(bottest.NewIP())
	if strings.Contains(plain, "**") || strings.Contains(plain, "\x1b") {
		t.Errorf("plain text has markers or escapes:\n%s", plain)
	}
	if !strings.Contains(plain, "«…the so-called New IP proposal, first floated at FG-NET2030, returns…»") {
		t.Errorf("plain text lacks the snippet:\n%s", plain)
	}
	bold := FormatTextWith(bottest.NewIP(), TextOptions{Bold: true})
	if want := "so-called \x1b[1mNew IP\x1b[22m proposal"; !strings.Contains(bold, want) {
		t.Errorf("bold text lacks %q:\n%q", want, bold)
	}
	if strings.Contains(bold, "**") {
		t.Errorf("bold text has markdown markers:\n%s", bold)
	}
	// A hostile feed gets no escape sequence through, bold or not: only
	// ours remain, around the hit.
	hostile := FormatTextWith(bottest.Hostile(), TextOptions{Bold: true})
	if n := strings.Count(hostile, "\x1b"); n != 2 {
		t.Errorf("hostile alert in bold has %d escapes, want 2 (ours):\n%q", n, hostile)
	}
	bottest.AssertTerminalSafe(t, strings.NewReplacer(ansiBold, "", ansiUnbold, "").Replace(hostile))
}

func TestTerminalBold(t *testing.T) {
	noEnv := func(string) (string, bool) { return "", false }
	noColor := func(k string) (string, bool) { return "1", k == "NO_COLOR" }
	emptyNoColor := func(k string) (string, bool) { return "", k == "NO_COLOR" }
	file, err := os.Create(filepath.Join(t.TempDir(), "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if TerminalBold(&bytes.Buffer{}, noEnv) || TerminalBold(file, noEnv) {
		t.Error("bold for a buffer or a file")
	}
	dev, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer dev.Close()
	// The null device is a character device, as a terminal is.
	if !TerminalBold(dev, noEnv) || !TerminalBold(dev, emptyNoColor) {
		t.Error("no bold for a character device")
	}
	if TerminalBold(dev, noColor) {
		t.Error("bold despite NO_COLOR")
	}
}

func TestNoticeText(t *testing.T) {
	got := FormatText(model.Alert{ID: 7, Kind: model.AlertNotice, Item: model.Item{SourceID: "ituwatch", Title: "The mute of topic new-ip has ended: its alerts come here again."}})
	if want := "━━ NOTICE #7\nThe mute of topic new-ip has ended: its alerts come here again."; got != want {
		t.Errorf("notice text = %q, want %q", got, want)
	}
}
