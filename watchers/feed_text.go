package watchers

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// The plain text of a feed's HTML titles, summaries and contents.

// Block elements end a line of text; paragraphs-like ones leave a blank line.
var (
	breakTags = map[string]bool{
		"br": true, "li": true, "tr": true, "dt": true, "dd": true, "div": true,
		"td": true, "th": true, "hr": true, "figcaption": true,
	}
	paraTags = map[string]bool{
		"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
		"blockquote": true, "pre": true, "ul": true, "ol": true, "dl": true, "table": true,
		"section": true, "article": true, "header": true, "footer": true, "figure": true,
	}
	skipTags = map[string]bool{
		"script": true, "style": true, "noscript": true, "template": true,
		"head": true, "iframe": true, "object": true, "svg": true, "math": true,
	}
)

// htmlToText turns feed HTML (or text with escaped markup, as in Google
// Alerts titles) into plain text: scripts and styles dropped, entities
// decoded, paragraphs kept as blank lines, other whitespace collapsed.
func htmlToText(s string) string {
	if s == "" {
		return ""
	}
	if !strings.ContainsAny(s, "<&") {
		return tidyLines(s)
	}
	// Text is written with its own line ends turned into spaces (in HTML
	// they are just whitespace); markup writes lineMark and paraMark.
	var b strings.Builder
	skip := 0
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return joinMarks(b.String())
		case html.TextToken:
			if skip == 0 {
				b.WriteString(strings.Map(func(r rune) rune {
					if r == lineMark || r == paraMark || unicode.IsSpace(r) {
						return ' '
					}
					return r
				}, string(z.Text())))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			nameBytes, _ := z.TagName()
			name := string(nameBytes)
			if skipTags[name] {
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			switch {
			case paraTags[name]:
				b.WriteRune(paraMark)
			case breakTags[name]:
				b.WriteRune(lineMark)
			case name == "img" && tt != html.EndTagToken && skip == 0:
				// Alt text is all a text reader gets of an image.
				for {
					k, v, more := z.TagAttr()
					if string(k) == "alt" && len(v) > 0 {
						b.WriteString(" " + string(v) + " ")
					}
					if !more {
						break
					}
				}
			}
		}
	}
}

const (
	lineMark = '\n'
	paraMark = '\x01'
)

// joinMarks collapses each run of whitespace and marks into the strongest
// break in it: a blank line, a line end, or one space.
func joinMarks(s string) string {
	var out strings.Builder
	pending := 0 // 1 space, 2 line, 3 paragraph
	for _, r := range s {
		switch {
		case r == paraMark:
			pending = 3
		case r == lineMark:
			pending = max(pending, 2)
		case unicode.IsSpace(r):
			pending = max(pending, 1)
		default:
			if out.Len() > 0 {
				out.WriteString([...]string{"", " ", "\n", "\n\n"}[pending])
			}
			pending = 0
			out.WriteRune(r)
		}
	}
	return out.String()
}

// tidyLines collapses spaces within lines and runs of blank lines into one.
func tidyLines(s string) string {
	if tidy(s) {
		return s
	}
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := false
	for _, l := range lines {
		l = collapseSpace(l)
		if l == "" {
			blank = len(out) > 0
			continue
		}
		if blank {
			out = append(out, "")
			blank = false
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// collapseSpace trims s and turns every run of white space in it into
// one space.
func collapseSpace(s string) string {
	if collapsed(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for word := range strings.FieldsSeq(s) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(word)
	}
	return b.String()
}

// collapsed reports whether collapseSpace would leave s as it is, which
// most text is: it is checked without allocating.
func collapsed(s string) bool {
	space := true // as if s were preceded by one: no leading space
	for i := 0; i < len(s); {
		c := s[i]
		var isSpace bool
		if c < utf8.RuneSelf {
			isSpace = asciiSpace[c]
			i++
		} else {
			r, n := utf8.DecodeRuneInString(s[i:])
			isSpace = unicode.IsSpace(r)
			i += n
		}
		if isSpace && (space || c != ' ') {
			return false
		}
		space = isSpace
	}
	return !space || s == ""
}

// asciiSpace is unicode.IsSpace for ASCII.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// tidy reports whether tidyLines would leave s as it is.
func tidy(s string) bool {
	if strings.HasPrefix(s, "\n") || strings.HasSuffix(s, "\n") || strings.Contains(s, "\n\n\n") {
		return false
	}
	for line := range strings.SplitSeq(s, "\n") {
		if !collapsed(line) {
			return false
		}
	}
	return true
}

// truncateText cuts s to at most n bytes on a rune boundary, marking the cut.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimSpace(s[:cut]) + ellipsis
}
