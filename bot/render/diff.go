package render

import (
	"fmt"
	"strings"
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
	Lines          []DiffLineView
	Added, Removed int // sentences added and removed (a reworded one counts in both)
	// More counts the changed sentences not in Lines: cut here, or left
	// out when the diff was stored.
	More int
	// Partial: the texts were too long to compare whole.
	Partial bool
}

// DiffLineView is one sentence of a diff. Its parts are cleaned; only the
// separating parts (Op "") begin or end with a space, so a surface can wrap
// an insertion, a deletion or a hit in its markup.
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
	v := &DiffView{Added: d.Added, Removed: d.Removed, More: d.Omitted, Partial: d.Partial}
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
		body := Clean(p.Text)
		if p.Op == "" && !p.Hit {
			if strings.TrimLeft(p.Text, " \t\n") != p.Text && body != "" {
				body = " " + body
			}
			if strings.TrimRight(p.Text, " \t\n") != p.Text || body == "" && p.Text != "" {
				body += " "
			}
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

// DiffHeading is "What changed: 2 sentences added, 1 removed".
func (d *DiffView) Heading() string {
	var parts []string
	if d.Added > 0 {
		parts = append(parts, words.Plural(d.Added, "sentence")+" added")
	}
	if d.Removed > 0 {
		if len(parts) == 0 {
			parts = append(parts, words.Plural(d.Removed, "sentence")+" removed")
		} else {
			parts = append(parts, fmt.Sprintf("%d removed", d.Removed))
		}
	}
	s := "What changed: " + strings.Join(parts, ", ")
	if d.Partial {
		s += " (the text is long; its start was compared)"
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
	for i, p := range l.Parts {
		if p.Op != "" && (i == 0 || l.Parts[i-1].Op != p.Op) {
			b.WriteString(map[model.DiffOp]string{model.DiffIns: "{+", model.DiffDel: "[-"}[p.Op])
		}
		if p.Hit {
			b.WriteString(open + p.Text + close)
		} else {
			b.WriteString(p.Text)
		}
		if p.Op != "" && (i == len(l.Parts)-1 || l.Parts[i+1].Op != p.Op) {
			b.WriteString(map[model.DiffOp]string{model.DiffIns: "+}", model.DiffDel: "-]"}[p.Op])
		}
	}
	return b.String()
}

// DiffHighlight is a diff line as a quotation, for replies that show
// quotations (explain): the deleted and inserted words between [- -] and
// {+ +}, the words that matched a topic as hits.
func DiffHighlight(l DiffLineView) Highlight {
	var h Highlight
	for i, p := range l.Parts {
		if p.Op != "" && (i == 0 || l.Parts[i-1].Op != p.Op) {
			h = append(h, model.SnippetPart{Text: map[model.DiffOp]string{model.DiffIns: "{+", model.DiffDel: "[-"}[p.Op]})
		}
		h = append(h, model.SnippetPart{Text: p.Text, Hit: p.Hit && p.Op != model.DiffDel && l.Kind != model.DiffRemoved})
		if p.Op != "" && (i == len(l.Parts)-1 || l.Parts[i+1].Op != p.Op) {
			h = append(h, model.SnippetPart{Text: map[model.DiffOp]string{model.DiffIns: "+}", model.DiffDel: "-]"}[p.Op]})
		}
	}
	return h
}

// DiffKindWord names what happened to a sentence: added, removed, reworded.
func DiffKindWord(k model.DiffLineKind) string {
	if k == model.DiffChanged {
		return "reworded"
	}
	return string(k)
}
