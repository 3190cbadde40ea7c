package render

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean makes feed text safe to print on a terminal and easy to read on one
// line: ANSI escape sequences and C0/C1 control characters are dropped (a
// feed must not be able to recolour, retitle or clear a policy person's
// terminal), bidirectional overrides are dropped (they can make text read
// differently from what it is), invalid UTF-8 becomes U+FFFD, and every run
// of white space becomes one space.
func Clean(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is owed before the next visible rune
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b: // ESC: skip the whole sequence it starts
			i = skipEscape(s, i+size)
			continue
		case r == 0x9b: // C1 CSI: same parameters as ESC [
			i = skipCSI(s, i+size)
			continue
		case r == 0x9d: // C1 OSC: same body as ESC ]
			i = skipOSC(s, i+size)
			continue
		case r == utf8.RuneError && size == 1:
			r = unicode.ReplacementChar
		}
		i += size
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if isControl(r) {
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isControl reports runes that must never reach a terminal or a chat message.
func isControl(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == 0xfeff: // byte order mark in the middle of text
		return true
	}
	return false
}

// skipEscape returns the index after the escape sequence whose ESC ended at i.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_': // OSC, DCS, SOS, PM, APC: strings ended by BEL or ST
		return skipOSC(s, i+1)
	}
	// Two-character sequences (ESC c, ESC 7, ...) and charset selections
	// (ESC ( B): intermediates 0x20-0x2f, then one final byte.
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipCSI skips parameter and intermediate bytes and the final byte of a
// control sequence; a sequence cut short by other text ends where it breaks.
func skipCSI(s string, i int) int {
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x3f {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipOSC skips an operating-system command up to BEL or ST (ESC \ or C1 ST).
// An unterminated one swallows the rest of the string: a terminal would too.
func skipOSC(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case strings.HasPrefix(s[i:], "\u009c"):
			return i + len("\u009c")
		}
		i++
	}
	return i
}

// Cut shortens s to at most max runes, ending with "…" when it cut. It
// prefers to cut at a space so words are not split.
func Cut(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	end := len(s)
	for i := range s {
		if n == max-1 {
			end = i
			break
		}
		n++
	}
	head := s[:end]
	if sp := strings.LastIndexByte(head, ' '); sp > len(head)/2 {
		head = head[:sp]
	}
	return strings.TrimRight(head, " ") + "…"
}

// Clip cleans s and cuts it to max runes.
func Clip(s string, max int) string { return Cut(Clean(s), max) }
