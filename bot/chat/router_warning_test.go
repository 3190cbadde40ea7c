package chat

import (
	"context"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
)

// A source that polls without error but reads something doubtful (a page
// that is only links, a listing with no readable row) says so in sources and
// status: otherwise its silence reads as "nothing new".
func TestRouterShowsSourceWarnings(t *testing.T) {
	const warning = "the watched part of the page is mostly links (74% of its text), as a menu is; " +
		"if the page has more to watch, set selector to the part that holds it (for example \"#content\")"
	q := newFakeQueries()
	q.states[0].Warning = warning // itu-news, healthy
	r := newTestRouter(q, &bottest.Clock{T: bottest.T0})
	ctx := context.Background()

	out := RenderPlain(r.Handle(ctx, Request{Text: "sources", Platform: "slack", Channel: "C1", User: "U1"}))
	for _, want := range []string{
		"4 sources: 1 healthy, 1 failing, 1 retired, 1 never polled; 1 with a warning",
		"healthy · last success 1h ago · warning: " + warning + " · rss",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("sources lacks %q:\n%s", want, out)
		}
	}
	bottest.AssertTerminalSafe(t, out)

	out = RenderPlain(r.Handle(ctx, Request{Text: "status", Platform: "slack", Channel: "C1", User: "U1"}))
	if want := "1 healthy, 1 failing, 1 retired, 1 never polled · needs attention: cdt, old · warnings (sources says why): itu-news"; !strings.Contains(out, want) {
		t.Errorf("status lacks %q:\n%s", want, out)
	}

	// Without warnings nothing is added.
	q.states[0].Warning = ""
	out = RenderPlain(r.Handle(ctx, Request{Text: "sources", Platform: "slack", Channel: "C1", User: "U1"}))
	if strings.Contains(out, "warning") {
		t.Errorf("sources mentions a warning when there is none:\n%s", out)
	}
}
