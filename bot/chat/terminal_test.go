package chat

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/bot/render"
)

type recordingHandler struct{ got []Request }

func (h *recordingHandler) Handle(_ context.Context, req Request) Reply {
	h.got = append(h.got, req)
	return Reply{Title: "you said " + req.Text, Lines: []ReplyLine{{Text: "line", URL: "https://x.example", Note: "note"}}, Footer: "footer"}
}

func TestRunTerminal(t *testing.T) {
	h := &recordingHandler{}
	var out strings.Builder
	err := RunTerminal(context.Background(), strings.NewReader("help\n\n  recent new-ip  \nQUIT\nstatus\n"), &out, h)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.got) != 2 || h.got[0].Text != "help" || h.got[1].Text != "  recent new-ip  " {
		t.Fatalf("handled %+v, want help and recent, nothing after quit", h.got)
	}
	want := Request{Text: "help", Platform: "console", Channel: "terminal", User: "local", CanAdmin: true}
	if h.got[0] != want {
		t.Errorf("request = %+v, want %+v", h.got[0], want)
	}
	if !strings.HasPrefix(out.String(), "itu> you said help\n  • line <https://x.example>\n    note\nfooter\nitu> ") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestRunTerminalEndsAtEOF(t *testing.T) {
	h := &recordingHandler{}
	var out strings.Builder
	if err := RunTerminal(context.Background(), strings.NewReader("topics"), &out, h); err != nil {
		t.Fatal(err)
	}
	if len(h.got) != 1 {
		t.Errorf("handled %d commands, want 1", len(h.got))
	}
}

func TestRunTerminalStopsWithContext(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	var out strings.Builder
	go func() { done <- RunTerminal(ctx, pr, &out, &recordingHandler{}) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("RunTerminal after cancel = %v, want context.Canceled", err)
	}
}

func TestRenderPlain(t *testing.T) {
	tests := []struct {
		name string
		r    Reply
		want string
	}{
		{"title only", Reply{Title: "No alerts on ott yet."}, "No alerts on ott yet."},
		{"error", Reply{Title: "unknown topic", Error: true, Footer: "try: topics"}, "! unknown topic\ntry: topics"},
		{"lines", Reply{Title: "T", Lines: []ReplyLine{{Text: "a"}, {Text: "b", URL: "u", Note: "n"}, {Note: "only note"}}},
			"T\n  • a\n  • b <u>\n    n\n    only note"},
		{"hostile", Reply{Title: "\x1b[2Jx\ny", Lines: []ReplyLine{{Text: "\x1b]0;t\x07z", URL: "\u009b1m"}}}, "x y\n  • z"},
	}
	for _, tt := range tests {
		if got := RenderPlain(tt.r); got != tt.want {
			t.Errorf("%s: RenderPlain = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestRenderPlainQuote(t *testing.T) {
	line := ReplyLine{Text: "Title", Note: "#42 · new-ip", Quote: render.Highlight(bottest.Parts("the so-called ", "New IP", " proposal"))}
	r := Reply{Lines: []ReplyLine{line, {Text: "in the content", Quote: render.Highlight(bottest.Parts("\x1b[31m<!channel> *x* ", "_y_ \x1b]0;t\x07", " @room"))}}}
	want := "  • Title\n    #42 · new-ip · «the so-called New IP proposal»\n  • in the content\n    «<!channel> *x* _y_ @room»"
	if got := RenderPlain(r); got != want {
		t.Errorf("RenderPlain =\n%q\nwant\n%q", got, want)
	}
	wantBold := "  • Title\n    #42 · new-ip · «the so-called \x1b[1mNew IP\x1b[22m proposal»\n  • in the content\n    «<!channel> *x* \x1b[1m_y_\x1b[22m @room»"
	if got := renderPlain(r, true); got != wantBold {
		t.Errorf("renderPlain bold =\n%q\nwant\n%q", got, wantBold)
	}
}
