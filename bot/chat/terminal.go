package chat

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ituwatch/ituwatch/bot/render"
)

const terminalPrompt = "itu> "

// RunTerminal is a chat with the bot on a terminal: each line read from in
// is a command from the local operator, answered on out. It returns nil on
// "quit", "exit" or end of input, and ctx's error when ctx is done.
func RunTerminal(ctx context.Context, in io.Reader, out io.Writer, h Handler) error {
	bold := render.TerminalBold(out, os.LookupEnv)
	lines := make(chan string)
	readErr := make(chan error, 1)
	// Reading blocks until a line comes; a goroutine lets ctx interrupt the
	// wait. It ends with the input (stdin closes when the process exits).
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 4096), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
	}()

	for {
		if _, err := io.WriteString(out, terminalPrompt); err != nil {
			return fmt.Errorf("write to the terminal: %w", err)
		}
		var line string
		select {
		case <-ctx.Done():
			io.WriteString(out, "\n")
			return ctx.Err()
		case err := <-readErr:
			io.WriteString(out, "\n")
			if err != nil {
				return fmt.Errorf("read from the terminal: %w", err)
			}
			return nil
		case line = <-lines:
		}
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "":
			continue
		case "quit", "exit", "q":
			return nil
		}
		reply := h.Handle(ctx, Request{Text: line, Platform: "console", Channel: "terminal", User: "local", CanAdmin: true})
		if _, err := io.WriteString(out, renderPlain(reply, bold)+"\n"); err != nil {
			return fmt.Errorf("write to the terminal: %w", err)
		}
	}
}

// RenderPlain renders a reply as plain text for a terminal or a log, every
// string cleaned of control characters:
//
//	Title
//	  • Text <URL>
//	    Note
//	Footer
func RenderPlain(r Reply) string { return renderPlain(r, false) }

// renderPlain is RenderPlain with the quoted words that matched in ANSI bold
// when bold is set.
func renderPlain(r Reply, bold bool) string {
	var b strings.Builder
	title := render.Clean(r.Title)
	if r.Error && title != "" {
		title = "! " + title
	}
	if title != "" {
		b.WriteString(title + "\n")
	}
	for _, l := range r.Lines {
		text := render.Clean(l.Text)
		if u := render.Clean(l.URL); u != "" {
			text += " <" + u + ">"
		}
		if text != "" {
			b.WriteString("  • " + text + "\n")
		}
		note := render.Clean(l.Note)
		if q := plainQuote(l.Quote, bold); q != "" {
			if note != "" {
				note += " · "
			}
			note += q
		}
		if note != "" {
			b.WriteString("    " + note + "\n")
		}
	}
	if f := render.Clean(r.Footer); f != "" {
		b.WriteString(f + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// plainQuote is «quote», its hits in ANSI bold when bold is set. The
// quotation was cleaned when it was cut, and is cleaned again here in case a
// caller built one by hand: feed text must never carry an escape sequence.
func plainQuote(q render.Highlight, bold bool) string {
	q = q.Clean()
	if strings.TrimSpace(q.Plain()) == "" {
		return ""
	}
	return "«" + q.ForTerminal(bold) + "»"
}
