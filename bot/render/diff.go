package render

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/internal/words"
	"github.com/ituwatch/ituwatch/model"
)

// What changed in an alert's text, as each surface shows it: a few lines
// in the alert itself, more in explain.
const (
	MaxDiffLinesShown    = 4   // lines of a diff in an alert
	MaxDiffLinesExplain  = 20  // lines of a diff in explain, within a chat reply's limits
	MaxDiffLineRunes     = 300 // one sentence of a diff
	MaxDiffLineRunesFull = 600 // one sentence in explain
)

// DiffView is what changed in an alert's text, cleaned and cut: at most a
// given number of lines, each at most a given length.
type DiffView struct {
	Lines                    []DiffLineView
	Added, Removed, Reworded int // sentences
	// More counts the changed sentences not in Lines: cut here, or left
	// out when the diff was stored.
	More int
	// Partial: the texts were too long to compare whole.
	Partial bool
	// Version is the revision the changes belong to ("Rev.1"): the
	// heading says "Rev.1 adds …". Tracked: they are the proposer's own
	// tracked changes.
	Version string
	Tracked bool
}

// DiffLineView is one sentence of a diff. Its parts are cleaned, keeping
// one space where a part began or ended with white space; a surface that
// wraps a part in its markup puts those spaces outside.
type DiffLineView struct {
	Kind  model.DiffLineKind
	Parts []model.DiffPart
}

// NewDiffView cleans d and cuts it to maxLines lines of maxRunes each;
// nil when d has nothing to show.
func NewDiffView(d *model.TextDiff, maxLines, maxRunes int) *DiffView {
	if d.Empty() {
		return nil
	}
	v := &DiffView{Added: d.Added, Removed: d.Removed, Reworded: d.Reworded, More: d.Omitted, Partial: d.Partial,
		Version: d.Version, Tracked: d.Tracked}
	for i, l := range d.Lines {
		if i == maxLines {
			v.More += len(d.Lines) - i
			break
		}
		switch l.Kind {
		case model.DiffAdded, model.DiffRemoved, model.DiffChanged:
		default:
			continue // written by a later ituwatch: shown nowhere
		}
		if parts := cleanDiffParts(l.Parts, maxRunes); len(parts) > 0 {
			v.Lines = append(v.Lines, DiffLineView{Kind: l.Kind, Parts: parts})
		}
	}
	return v
}

// cleanDiffParts cleans each part, keeping one space where a part began or
// ended with white space, and cuts the line to max runes with "…".
func cleanDiffParts(in []model.DiffPart, max int) []model.DiffPart {
	var out []model.DiffPart
	left := max - 1 // room for "…"
	for _, p := range in {
		// Clean trims: the space a part began or ended with is kept, or
		// the words on either side of it would run together.
		body := Clean(p.Text)
		if strings.TrimLeftFunc(p.Text, unicode.IsSpace) != p.Text && body != "" {
			body = " " + body
		}
		if strings.TrimRightFunc(p.Text, unicode.IsSpace) != p.Text || body == "" && p.Text != "" && p.Op == "" {
			body += " "
		}
		if body == "" {
			continue
		}
		n := utf8.RuneCountInString(body)
		if n > left {
			if t := strings.TrimRight(string([]rune(body)[:left]), " "); t != "" {
				out = append(out, model.DiffPart{Text: t, Op: p.Op, Hit: p.Hit})
			}
			return append(out, model.DiffPart{Text: "…"})
		}
		left -= n
		out = append(out, model.DiffPart{Text: body, Op: p.Op, Hit: p.Hit})
	}
	return out
}

// DiffSign is the mark a plain-text surface starts a diff line with.
func DiffSign(k model.DiffLineKind) string {
	switch k {
	case model.DiffAdded:
		return "+"
	case model.DiffRemoved:
		return "−"
	}
	return "~"
}

// Heading is "What changed: 1 sentence reworded, 2 added, 1 removed", or
// for a revision "Rev.1 rewords 1 sentence, adds 2, removes 1".
func (d *DiffView) Heading() string {
	var parts []string
	for _, c := range []struct {
		n          int
		verb, does string
	}{{d.Reworded, "reworded", "rewords"}, {d.Added, "added", "adds"}, {d.Removed, "removed", "removes"}} {
		switch {
		case c.n == 0:
		case d.Version != "" && len(parts) == 0:
			parts = append(parts, c.does+" "+words.Plural(c.n, "sentence"))
		case d.Version != "":
			parts = append(parts, fmt.Sprintf("%s %d", c.does, c.n))
		case len(parts) == 0:
			parts = append(parts, words.Plural(c.n, "sentence")+" "+c.verb)
		default:
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.verb))
		}
	}
	s := "What changed: " + strings.Join(parts, ", ")
	if d.Version != "" {
		s = Clean(d.Version) + " " + strings.Join(parts, ", ")
	}
	if d.Tracked {
		s += " (the proposer's tracked changes)"
	}
	if d.Partial {
		s += " (compared in part: the text is long or much changed)"
	}
	return s
}

// MoreLine is "(+3 more changes; explain 41 shows them)", or "" when
// every line is shown. prefix is how the surface's commands begin.
func (d *DiffView) MoreLine(prefix string, id int64) string {
	if d.More == 0 {
		return ""
	}
	return fmt.Sprintf("(+%s; %sexplain %d shows them)", words.Plural(d.More, "more change"), prefix, id)
}

// PlainLine writes a diff line for a surface without markup: deleted words
// as [-…-], inserted as {+…+}, hits between open and close (nothing for
// a surface that cannot show them).
func PlainLine(l DiffLineView, open, close string) string {
	var b strings.Builder
	for _, p := range DiffHighlight(l) {
		if p.Hit {
			b.WriteString(open + p.Text + close)
		} else {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// DiffRuns calls fn for each run of a line's parts with one op, the white
// space at the run's ends given apart (lead, trail), so that a surface can
// put its marks around the words only.
func DiffRuns(l DiffLineView, fn func(op model.DiffOp, lead string, run []model.DiffPart, trail string)) {
	for i := 0; i < len(l.Parts); {
		j := i + 1
		for j < len(l.Parts) && l.Parts[j].Op == l.Parts[i].Op {
			j++
		}
		run := slices.Clone(l.Parts[i:j])
		first, last := &run[0], &run[len(run)-1]
		t := strings.TrimLeft(first.Text, " ")
		lead := first.Text[:len(first.Text)-len(t)]
		first.Text = t
		t = strings.TrimRight(last.Text, " ")
		trail := last.Text[len(t):]
		last.Text = t
		fn(l.Parts[i].Op, lead, run, trail)
		i = j
	}
}

// DiffHighlight is a diff line as a quotation, for replies that show
// quotations (explain) and for plain text: the deleted and inserted words
// between [- -] and {+ +}, the words that matched a topic as hits.
func DiffHighlight(l DiffLineView) Highlight {
	var h Highlight
	DiffRuns(l, func(op model.DiffOp, lead string, run []model.DiffPart, trail string) {
		open, close := "", ""
		switch op {
		case model.DiffIns:
			open, close = "{+", "+}"
		case model.DiffDel:
			open, close = "[-", "-]"
		}
		h = append(h, model.SnippetPart{Text: lead + open})
		for _, p := range run {
			h = append(h, model.SnippetPart{Text: p.Text, Hit: p.Hit && op != model.DiffDel && l.Kind != model.DiffRemoved})
		}
		h = append(h, model.SnippetPart{Text: close + trail})
	})
	out := h[:0]
	for _, p := range h {
		if p.Text != "" {
			out = append(out, p)
		}
	}
	return out
}

// DiffKindWord names what happened to a sentence: added, removed, reworded.
func DiffKindWord(k model.DiffLineKind) string {
	if k == model.DiffChanged {
		return "reworded"
	}
	return string(k)
}
