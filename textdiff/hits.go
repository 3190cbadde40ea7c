package textdiff

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/model"
)

// MarkHits marks, in every line of d but removed ones, the words that
// matched a topic (the Text of the matches' hits), so that each surface can
// highlight them as it highlights a quotation. Words are found whole and
// regardless of case; a term split across an insertion's edge is not marked.
func MarkHits(d *model.TextDiff, matches []model.Match) {
	if d == nil {
		return
	}
	var terms []string
	seen := map[string]bool{}
	for _, m := range matches {
		for _, h := range m.Hits {
			t := strings.ToLower(strings.Join(strings.Fields(h.Text), " "))
			if t != "" && !seen[t] {
				seen[t] = true
				terms = append(terms, t)
			}
		}
	}
	if len(terms) == 0 {
		return
	}
	for li := range d.Lines {
		if d.Lines[li].Kind == model.DiffRemoved {
			continue
		}
		var parts []model.DiffPart
		for _, p := range d.Lines[li].Parts {
			if p.Op == model.DiffDel || p.Hit {
				parts = append(parts, p)
				continue
			}
			parts = append(parts, splitHits(p, terms)...)
		}
		d.Lines[li].Parts = parts
	}
}

// splitHits cuts p into runs of text and hits.
func splitHits(p model.DiffPart, terms []string) []model.DiffPart {
	lower := strings.ToLower(p.Text)
	if len(lower) != len(p.Text) {
		// Lowering changed byte lengths (rare scripts): offsets would not
		// line up, so leave the part unmarked rather than mark wrong words.
		return []model.DiffPart{p}
	}
	var out []model.DiffPart
	last := 0
	for i := 0; i < len(lower); {
		end := -1
		if i == 0 || wordEdge(lower, i) {
			for _, t := range terms {
				if strings.HasPrefix(lower[i:], t) && (i+len(t) == len(lower) || wordEdge(lower, i+len(t))) {
					end = max(end, i+len(t))
				}
			}
		}
		if end < 0 {
			_, n := utf8.DecodeRuneInString(lower[i:])
			i += n
			continue
		}
		if i > last {
			out = append(out, model.DiffPart{Text: p.Text[last:i], Op: p.Op})
		}
		out = append(out, model.DiffPart{Text: p.Text[i:end], Op: p.Op, Hit: true})
		last, i = end, end
	}
	if last == 0 {
		return []model.DiffPart{p}
	}
	if last < len(p.Text) {
		out = append(out, model.DiffPart{Text: p.Text[last:], Op: p.Op})
	}
	return out
}

// wordEdge reports whether a word begins or ends at byte i of s: a letter
// or digit on at most one side.
func wordEdge(s string, i int) bool {
	before, _ := utf8.DecodeLastRuneInString(s[:i])
	after, _ := utf8.DecodeRuneInString(s[i:])
	return !isWord(before) || !isWord(after)
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
