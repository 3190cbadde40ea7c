package render

import (
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/model"
)

// ANSI bold on and off (22 is "normal intensity", so it ends bold only).
const ansiBold, ansiUnbold = "\x1b[1m", "\x1b[22m"

// Highlight is a quotation from an item ready to show: cleaned of control
// characters, cut to length, with the words that matched marked as hits.
// Each surface shows the hits with its own emphasis (mrkdwn *bold*, HTML
// <strong>, ANSI bold on a terminal) or not at all; no surface ever sees
// marker characters in the text, so feed text cannot fake or break one.
type Highlight []model.SnippetPart

// Plain is the quotation without any emphasis: for logs, files, JSON.
func (h Highlight) Plain() string {
	var b strings.Builder
	for _, p := range h {
		b.WriteString(p.Text)
	}
	return b.String()
}

// Clean drops control characters and runs of white space from each part,
// keeping one space where a part began or ended with some. Quotations from
// HighlightSnippet are clean already; surfaces clean again in case one was
// built by hand.
func (h Highlight) Clean() Highlight {
	return Highlight(snippetSegments(model.Snippet{Parts: h}))
}

// Text is the quotation with each hit wrapped in open and close; the hit
// text itself is never split, so a pair is never left open.
func (h Highlight) Text(open, close string) string {
	var b strings.Builder
	for _, p := range h {
		if p.Hit {
			b.WriteString(open + p.Text + close)
		} else {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// ForTerminal is the quotation for a terminal: the hits in ANSI bold when
// bold is set (see TerminalBold), unmarked otherwise.
func (h Highlight) ForTerminal(bold bool) string {
	if bold {
		return h.Text(ansiBold, ansiUnbold)
	}
	return h.Plain()
}

// HighlightSnippet cleans a snippet and cuts it to max runes. Context before
// the first hit is shortened first, so that the words that matched stay
// visible.
func HighlightSnippet(sn model.Snippet, max int) Highlight {
	segs := snippetSegments(sn)
	total := 0
	firstHit := -1
	for i, sg := range segs {
		total += utf8.RuneCountInString(sg.Text)
		if sg.Hit && firstHit < 0 {
			firstHit = i
		}
	}
	if total > max && firstHit > 0 {
		// Keep at most a third of the room for what precedes the first hit.
		lead := ""
		for _, sg := range segs[:firstHit] {
			lead += sg.Text
		}
		if n := utf8.RuneCountInString(lead); n > max/3 {
			segs = append([]model.SnippetPart{{Text: cutLeft(lead, max/3)}}, segs[firstHit:]...)
			total -= n - utf8.RuneCountInString(segs[0].Text)
		}
	}
	if total <= max {
		return Highlight(segs)
	}
	var out Highlight
	left := max - 1 // room for the closing "…"
	for _, sg := range segs {
		n := utf8.RuneCountInString(sg.Text)
		if n <= left {
			out = append(out, sg)
			left -= n
			continue
		}
		if left > 0 {
			t := string([]rune(sg.Text)[:left])
			if sp := strings.LastIndexByte(t, ' '); !sg.Hit && sp > len(t)/2 {
				t = t[:sp] // end on a whole word
			}
			if t = strings.TrimRight(t, " "); t != "" {
				out = append(out, model.SnippetPart{Text: t, Hit: sg.Hit})
			}
		}
		break
	}
	for len(out) > 0 && strings.TrimRight(out[len(out)-1].Text, " ") == "" {
		out = out[:len(out)-1]
	}
	if len(out) > 0 {
		last := &out[len(out)-1]
		last.Text = strings.TrimRight(last.Text, " ")
	}
	return append(out, model.SnippetPart{Text: "…"})
}

// snippetSegments cleans each part and keeps one space where the feed text
// had white space between or at the edges of parts.
func snippetSegments(sn model.Snippet) []model.SnippetPart {
	var segs []model.SnippetPart
	afterSpace := true // no space at the very start
	for _, p := range sn.Parts {
		body := Clean(p.Text)
		lead := p.Text != strings.TrimLeftFunc(p.Text, unicode.IsSpace)
		trail := p.Text != strings.TrimRightFunc(p.Text, unicode.IsSpace)
		if (lead || body == "" && trail) && !afterSpace {
			segs = append(segs, model.SnippetPart{Text: " "})
			afterSpace = true
		}
		if body == "" {
			continue
		}
		segs = append(segs, model.SnippetPart{Text: body, Hit: p.Hit})
		afterSpace = false
		if trail {
			segs = append(segs, model.SnippetPart{Text: " "})
			afterSpace = true
		}
	}
	for len(segs) > 0 && segs[len(segs)-1].Text == " " {
		segs = segs[:len(segs)-1]
	}
	return segs
}

// cutLeft keeps the end of s, at most max runes, starting with "…" when it
// cut, and preferably at the start of a word.
func cutLeft(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	if max <= 1 {
		return "…"
	}
	tail := string(r[len(r)-(max-1):])
	if sp := strings.IndexByte(tail, ' '); sp >= 0 && sp < len(tail)/2 && strings.TrimSpace(tail[sp:]) != "" {
		tail = tail[sp+1:]
	}
	return "…" + tail
}

// TerminalBold reports whether text for w may use ANSI bold: w must be a
// terminal (a character device, not a file or a pipe) and NO_COLOR must be
// unset or empty (https://no-color.org).
func TerminalBold(w io.Writer, lookupEnv func(string) (string, bool)) bool {
	if v, ok := lookupEnv("NO_COLOR"); ok && v != "" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
