package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/bot/chat"
)

func TestRenderReplyGolden(t *testing.T) {
	r := chat.Reply{
		Title: "Recent alerts on new-ip",
		Lines: []chat.ReplyLine{
			{Text: "Draft resolution on future networks & New IP", URL: "https://www.itu.int/md/S25-CL-C-0051/en", Note: "itu-council · 2 Jun 2025 · alert #42"},
			{Text: "<!channel> vote now", URL: "javascript:alert(1)", Note: "<@U123> · alert #41"},
			{Text: "", URL: "https://example.org/a|b", Note: ""},
		},
		Footer: "try: recent new-ip 10",
	}
	raw, err := json.Marshal(RenderReply(r))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "reply.golden.json", prettyBlocks(t, map[string][]string{"blocks": {string(raw)}}))
	if got := ReplyText(r); got != "Recent alerts on new-ip (3)" {
		t.Errorf("ReplyText = %q", got)
	}
}

func TestRenderReplyEscapesAndFits(t *testing.T) {
	tests := []struct {
		name      string
		reply     chat.Reply
		wantMore  string // a "N more not shown" line
		wantError bool
	}{
		{"error", chat.Reply{Title: "unknown topic <!here>", Error: true, Footer: "topics: new-ip, dns"}, "", true},
		{"empty", chat.Reply{}, "", false},
		{"many long lines", chat.Reply{Title: "Search results", Lines: manyLines(500, 900)}, "more not shown", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks := RenderReply(tt.reply)
			if len(blocks) == 0 || len(blocks) > maxBlocks {
				t.Fatalf("%d blocks", len(blocks))
			}
			raw, _ := json.Marshal(blocks)
			var decoded []map[string]any
			if err := json.Unmarshal(raw, &decoded); err != nil {
				t.Fatal(err)
			}
			all := ""
			for _, tx := range texts(decoded) {
				s := tx["text"].(string)
				if n := units(s); n == 0 || n > maxSectionText {
					t.Errorf("text of %d units", n)
				}
				if !utf8.ValidString(s) {
					t.Error("invalid UTF-8")
				}
				if tx["verbatim"] != true {
					t.Errorf("mrkdwn without verbatim: %q", s)
				}
				all += s + "\n"
			}
			for _, bad := range []string{"<!here>", "<!channel>", "<@U"} {
				if strings.Contains(all, bad) {
					t.Errorf("%q unescaped", bad)
				}
			}
			if tt.wantMore != "" && !strings.Contains(all, tt.wantMore) {
				t.Errorf("no %q line", tt.wantMore)
			}
			if tt.wantError != strings.Contains(all, ":warning:") {
				t.Errorf("error marker present = %v, want %v", !tt.wantError, tt.wantError)
			}
		})
	}
}

func manyLines(n, size int) []chat.ReplyLine {
	var out []chat.ReplyLine
	for i := range n {
		out = append(out, chat.ReplyLine{
			Text: fmt.Sprintf("%d <!channel> %s", i, strings.Repeat("é", size)),
			URL:  fmt.Sprintf("https://www.itu.int/md/%d", i),
			Note: "<@U123>",
		})
	}
	return out
}

// FuzzMrkdwn: whatever text goes in, what comes out stays within the limit,
// is valid UTF-8, and holds no < or > but the markup the builder wrote.
func FuzzMrkdwn(f *testing.F) {
	for _, s := range []string{"<!channel>", "a & b", "🌐🌐🌐", "<https://evil|x>", "\n> quote", "*bold*", "\xff\xfe"} {
		f.Add(s, 12)
	}
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if limit < 8 || limit > 4000 {
			return
		}
		m := newMrkdwn(limit)
		m.boldLink("https://www.itu.int/", s)
		m.text(" ", 0)
		m.bold(s)
		m.lines(s, 0)
		out := m.String()
		if units(out) > limit {
			t.Fatalf("%d units > limit %d", units(out), limit)
		}
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 %q", out)
		}
		rest := strings.Replace(out, "*<https://www.itu.int/|", "", 1)
		rest = strings.Replace(rest, ">*", "", 1)
		if strings.ContainsAny(rest, "<>") {
			t.Fatalf("live < or > in %q", out)
		}
	})
}
