package chat

import (
	"context"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
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
		r := NewRouter(RouterOptions{Queries: q, Topics: testTopics, Sources: testSources, Now: (&bottest.Clock{T: bottest.T0}).Now, Version: "1.2.3", Logger: bottest.QuietLogger(), RateLimit: RateLimit{Burst: -1}})
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
			if err := bottest.TerminalSafe(s); err != nil || strings.Contains(s, "\n") {
				t.Fatalf("reply to %q: %v, or a line break in %q", text, err, s)
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
