package bot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/model"
)

// FuzzRouterHandle: no chat text may crash the router, leave it without an
// answer, or make it answer with control characters or unbounded text.
func FuzzRouterHandle(f *testing.F) {
	for _, s := range []string{
		"", "help", "recent", "recent new-ip 5", "recent 99999999999999999999", "recent -1", "recent new-ip ott",
		"search New IP", "search \"unclosed", "search * OR NEAR(a b)", "search ' OR 1=1 --",
		"explain 42", "explain #42", "explain 0x2a", "explain 9223372036854775808",
		"subscribe *", "subscribe new-ip", "unsubscribe ../../etc", "subscriptions", "status", "sources", "topics",
		"<!channel> help", "@room recent", "HELP", "rEcEnT", "reecnt", "\x00\x1b[2J", "\u202e tnecer",
		strings.Repeat("a", 201), strings.Repeat("recent ", 40), "recent\u00a0new-ip", "\xff\xfe",
	} {
		f.Add(s, "slack", false)
		f.Add(s, "console", true)
	}
	q := newFakeQueries()
	f.Fuzz(func(t *testing.T, text, platform string, admin bool) {
		r := NewRouter(RouterOptions{Queries: q, Topics: testTopics, Sources: testSources, Now: (&fakeClock{t: t0}).Now, Version: "1.2.3", Logger: quietLogger(), RateLimit: RateLimit{Burst: -1}})
		rep := r.Handle(context.Background(), Request{Text: text, Platform: platform, Channel: "C1", User: "U1", CanAdmin: admin})
		if rep.Title == "" {
			t.Fatalf("empty reply to %q", text)
		}
		all := []string{rep.Title, rep.Footer}
		for _, l := range rep.Lines {
			all = append(all, l.Text, l.URL, l.Note)
		}
		total := 0
		for _, s := range all {
			total += len(s)
			if !utf8.ValidString(s) {
				t.Fatalf("reply to %q is not UTF-8: %q", text, s)
			}
			for _, c := range s {
				if isControl(c) {
					t.Fatalf("reply to %q carries control %U in %q", text, c, s)
				}
			}
		}
		if total > 16<<10 {
			t.Fatalf("reply to %q is %d bytes", text, total)
		}
		if !admin && platform != "console" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(text)), "subscribe ") && !rep.Error {
			t.Fatalf("a non-admin subscribed: %q -> %+v", text, rep)
		}
	})
}

// FuzzFormat: whatever a feed puts in an item, the console text and the JSON
// line stay single-purpose: no control characters (so no terminal escapes),
// no extra lines from feed text, valid JSON that round-trips.
func FuzzFormat(f *testing.F) {
	h := hostileAlert()
	f.Add(h.Item.Title, h.Item.Link, h.Item.SourceID, "New IP", h.Matches[0].Annotation)
	f.Add("<!channel> <!here> @room @everyone", "javascript:alert(1)", "s", "<@U123>", "[x](http://evil)")
	f.Add("line\nline\rline\u2028line\u2029line\u0085", "https://ok.example/a b", "s", "**", "`code`")
	f.Add(strings.Repeat("€", 500), strings.Repeat("/", 500), "", "", "")
	f.Fuzz(func(t *testing.T, title, link, source, hit, annotation string) {
		a := model.Alert{
			ID:   7,
			Kind: model.AlertNew,
			Item: model.Item{SourceID: source, ID: "x", Title: title, Link: link, Summary: title, Published: day,
				Document: &model.DocumentRef{Number: hit, Languages: []string{title}}},
			Matches: []model.Match{{
				Topic: "new-ip", TopicName: hit, Severity: model.SeverityHigh, Score: 1, Annotation: annotation,
				Hits:     []model.Hit{{Text: hit}},
				Snippets: []model.Snippet{{Field: "content", Parts: parts(title, hit, annotation)}},
			}},
			AlsoReportedBy: []string{source, hit},
			CreatedAt:      day,
		}
		text := FormatText(a)
		if !utf8.ValidString(text) {
			t.Fatalf("FormatText is not UTF-8: %q", text)
		}
		for _, c := range text {
			if c != '\n' && isControl(c) {
				t.Fatalf("FormatText keeps %U: %q", c, text)
			}
		}
		if n := strings.Count(text, "\n") + 1; n > 8 {
			t.Fatalf("feed text made the alert %d lines:\n%s", n, text)
		}
		js, err := FormatJSON(a)
		if err != nil {
			t.Fatalf("FormatJSON: %v", err)
		}
		if strings.ContainsAny(string(js), "\n\r") {
			t.Fatalf("JSON line holds a newline: %q", js)
		}
		var back map[string]any
		if err := json.Unmarshal(js, &back); err != nil {
			t.Fatalf("FormatJSON is not JSON: %v: %q", err, js)
		}
		if back["title"] != Clean(title) {
			t.Fatalf("title did not round-trip: %q -> %q", Clean(title), back["title"])
		}
	})
}
