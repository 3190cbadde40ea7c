package slack

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/bot/render"
)

// Slack's limits for Block Kit, counted in characters. Slack counts UTF-16
// code units, so the builder does too: a rune outside the BMP counts twice.
const (
	maxSectionText = 3000
	maxContextText = 2000 // kept under the 3,000 of a text object: context lines are meant to be short
	maxHeaderText  = 150
	maxBlocks      = 50
	maxFallback    = 400 // the notification text; Slack allows far more, people read far less
	maxLinkURL     = 2000
)

// escapeMrkdwn makes s inert in mrkdwn: with &, < and > escaped nothing in
// it can become a mention (<!channel>, <@U123>, <!subteam^S1>) or a link
// (<https://evil|click>). Control characters become spaces so that feed
// text cannot start a quote or a code block on a new line.
func escapeMrkdwn(s string) string {
	var b strings.Builder
	for _, r := range inert(s, true) {
		b.WriteString(escapeRune(r, false))
	}
	return b.String()
}

// lookalike stands in for a mrkdwn formatting character that feed text
// must not use: mrkdwn has no escape for them, so a title like "*FREE*" or
// "_urgent_" would otherwise be shown bold or italic in our message.
var lookalike = map[rune]rune{'*': '∗', '_': 'ˍ', '~': '∼', '`': 'ˋ'}

// inert replaces the formatting characters of s that could open or close
// bold, italic, strike or code with lookalikes. One between two letters or
// digits (snake_case, a*b) or between white space (a lone "*") cannot, and
// is kept. edgeIsSpace says whether the ends of s will stand next to white
// space or nothing; inside our own markup they do not.
func inert(s string, edgeIsSpace bool) string {
	if !strings.ContainsAny(s, "*_~`") {
		return s
	}
	rs := []rune(s)
	kind := func(i int) int { // 0 space, 1 letter or digit, 2 anything else
		if i < 0 || i >= len(rs) {
			if edgeIsSpace {
				return 0
			}
			return 2
		}
		switch r := rs[i]; {
		case unicode.IsSpace(r):
			return 0
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			return 1
		}
		return 2
	}
	out := make([]rune, len(rs))
	for i, r := range rs {
		out[i] = r
		if l, ok := lookalike[r]; ok {
			if before, after := kind(i-1), kind(i+1); before != after || before == 2 {
				out[i] = l
			}
		}
	}
	return string(out)
}

func escapeRune(r rune, keepNewline bool) string {
	switch r {
	case '&':
		return "&amp;"
	case '<':
		return "&lt;"
	case '>':
		return "&gt;"
	case '\n':
		if keepNewline {
			return "\n"
		}
		return " "
	}
	if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
		return " "
	}
	return string(r)
}

func units(s string) int {
	n := 0
	for _, r := range s {
		n += runeUnits(r)
	}
	return n
}

func runeUnits(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// mrkdwn builds one text object within a length limit. Feed text goes in
// through text and is escaped; markup goes in through the other methods. When
// the limit is reached the text is cut at a rune boundary with an ellipsis and
// every later write is dropped, except closers, whose room was reserved so
// that a cut never leaves a bold span or a link open.
type mrkdwn struct {
	b     strings.Builder
	used  int
	limit int
	cut   bool
}

func newMrkdwn(limit int) *mrkdwn { return &mrkdwn{limit: limit} }

func (m *mrkdwn) String() string { return m.b.String() }

func (m *mrkdwn) fits(n int) bool { return m.used+n <= m.limit }

// markup writes s unescaped if it and reserve more units still fit.
func (m *mrkdwn) markup(s string, reserve int) bool {
	if m.cut {
		return false
	}
	if !m.fits(units(s) + reserve) {
		m.cut = true
		return false
	}
	m.b.WriteString(s)
	m.used += units(s)
	return true
}

// closer writes markup whose room an earlier call reserved.
func (m *mrkdwn) closer(s string) {
	m.b.WriteString(s)
	m.used += units(s)
}

// text writes s escaped, keeping reserve units free for closers.
// Formatting characters in s are made inert.
func (m *mrkdwn) text(s string, reserve int) { m.write(inert(s, true), reserve, false) }

// lines is text that keeps its line breaks (annotations written in config).
func (m *mrkdwn) lines(s string, reserve int) { m.write(inert(s, true), reserve, true) }

func (m *mrkdwn) write(s string, reserve int, keepNewline bool) {
	if m.cut {
		return
	}
	var esc strings.Builder
	for _, r := range s {
		esc.WriteString(escapeRune(r, keepNewline))
	}
	full := esc.String()
	if m.fits(units(full) + reserve) {
		m.b.WriteString(full)
		m.used += units(full)
		return
	}
	// Cut: keep whole escaped runes while the ellipsis and the reserve fit.
	const ellipsis = "…"
	for _, r := range s {
		e := escapeRune(r, keepNewline)
		if !m.fits(units(e) + 1 + reserve) {
			break
		}
		m.b.WriteString(e)
		m.used += units(e)
	}
	if m.fits(1 + reserve) {
		m.b.WriteString(ellipsis)
		m.used++
	}
	m.cut = true
}

// bold writes *s*; an empty s writes nothing. Leading and trailing spaces
// move outside the asterisks, where Slack needs them to see the markup.
func (m *mrkdwn) bold(s string) {
	t := strings.TrimSpace(s)
	if t == "" {
		m.text(s, 0)
		return
	}
	lead := s[:strings.Index(s, t)]
	trail := s[len(lead)+len(t):]
	m.text(lead, 0)
	if !m.markup("*", 2) { // room for at least one rune and the closer
		return
	}
	m.write(inert(t, false), 1, false) // t's ends touch our asterisks
	m.closer("*")
	m.text(trail, 0)
}

// quote writes a quotation from an item with its hits in bold. mrkdwn shows
// *bold* only at word boundaries ("*ITU*-T" and "x*y*" stay literal), so a
// hit that starts or ends inside a word is widened to the whole word. The
// text is made inert first, so only our asterisks can format anything.
func (m *mrkdwn) quote(h render.Highlight) {
	var rs []rune
	var hit []bool
	for _, p := range h.Clean() {
		for _, r := range p.Text {
			rs = append(rs, r)
			hit = append(hit, p.Hit)
		}
	}
	rs = []rune(inert(string(rs), true))
	for i := 0; i < len(rs); i++ {
		if !hit[i] || (i > 0 && hit[i-1]) {
			continue
		}
		// i starts a run of hit runes: widen it to word boundaries.
		for j := i - 1; j >= 0 && !boldBoundary(rs[j]); j-- {
			hit[j] = true
		}
		end := i
		for end < len(rs) && hit[end] {
			end++
		}
		for ; end < len(rs) && !boldBoundary(rs[end]); end++ {
			hit[end] = true
		}
		i = end
	}
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && hit[j] == hit[i] {
			j++
		}
		if hit[i] {
			m.bold(string(rs[i:j]))
		} else {
			m.text(string(rs[i:j]), 0)
		}
		i = j
	}
}

// boldBoundary reports whether mrkdwn ends a word at r, so that an asterisk
// next to it can open or close bold.
func boldBoundary(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune(".,;:!?()[]{}\"'«»“”‘’…", r)
}

// link writes <url|label> when u is a safe http(s) URL, the label alone
// otherwise. The label is escaped, so it cannot close the link early.
func (m *mrkdwn) link(u, label string) {
	safe, ok := linkURL(u)
	if !ok {
		m.text(label, 0)
		return
	}
	if label == "" {
		label = u
	}
	if !m.markup("<"+safe+"|", 2) {
		return
	}
	m.text(label, 1)
	m.closer(">")
}

// boldLink writes *<url|label>*.
func (m *mrkdwn) boldLink(u, label string) {
	safe, ok := linkURL(u)
	if !ok {
		m.bold(label)
		return
	}
	if !m.markup("*<"+safe+"|", 3) {
		return
	}
	m.text(label, 2)
	m.closer(">*")
}

// linkURL returns u ready to stand inside <…|…> if it is an absolute http or
// https URL without credentials; anything else (javascript:, slack://,
// mailto:, relative paths) is not linked at all.
func linkURL(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxLinkURL || !utf8.ValidString(raw) {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return "", false
	}
	s := u.String()
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '|':
			b.WriteString("%7C")
		case r == '<':
			b.WriteString("%3C")
		case r == '>':
			b.WriteString("%3E")
		case r == '&':
			b.WriteString("&amp;")
		case r <= ' ' || r == 0x7f:
			b.WriteString(url.PathEscape(string(r)))
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), true
}

// cutPlain shortens s to at most limit units at a rune boundary, with an
// ellipsis when something was cut. For plain_text objects and fallbacks.
func cutPlain(s string, limit int) string {
	if units(s) <= limit {
		return s
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		if used+runeUnits(r)+1 > limit {
			break
		}
		b.WriteRune(r)
		used += runeUnits(r)
	}
	b.WriteString("…")
	return b.String()
}
