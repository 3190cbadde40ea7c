package model

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/internal/links"
)

// What changes on a page or in a feed entry without anything a reader
// would want to hear about: runs of white space, "last updated 3 Dec 2026",
// "1,234 views", campaign parameters in links. ComparableText removes them,
// so that an item whose text only churns keeps its fingerprint and is not
// an update. Dates anywhere else stay: "the meeting moves to 5 March" is
// news.

var (
	// boilerDate is a date (and time) after the words that stamp a page
	// or an entry; the words stay, the date goes.
	boilerDate = regexp.MustCompile(`(?i)\b((?:last\s+)?(?:updated|modified|reviewed|changed|edited|published|posted)(?:\s+(?:on|at))?)\s*:?\s*` +
		`(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?` +
		`(?:\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?Z?)?|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s+[a-z]{3,9}\.?,?\s+\d{4}|[a-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})` +
		`(?:,?\s+(?:at\s+)?\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?(?:\s+(?:utc|gmt|cet|cest))?)?`)
	// viewCount is a counter of readers: "1,234 views", "Views: 1 234",
	// "Visitors today: 4 211", "read 87 times".
	viewCount = regexp.MustCompile(`(?i)\b\d[\d,.\x{a0}\x{202f} ]*\s*(?:views?|page views|reads|visits|visitors|hits|downloads)\b(?:\s*[.,;·|])?` +
		`|\b(?:views|page views|visits|visitors(?:\s+today)?|hits|downloads)\s*:\s*\d[\d,.\x{a0}\x{202f} ]*\d?` +
		`|\bread\s+\d[\d,.]*\s+times\b`)
	webLink = regexp.MustCompile(`https?://[^\s<>"]+`)
)

// ComparableText is s as two versions are compared: without view counters,
// the dates of "updated" stamps and tracking parameters in links, white
// space collapsed. Every polled item is fingerprinted with it, so the
// patterns run only near the words they need ("updated", "views"), not
// over the whole text: text without them costs a few scans.
func ComparableText(s string) string {
	if s == "" {
		return s
	}
	if strings.Contains(s, "://") {
		s = webLink.ReplaceAllStringFunc(s, stripTracking)
	}
	if hasDigit(s) {
		s = replaceNear(s)
	}
	return collapseSpace(s)
}

// churnWord is a word near which boilerDate or viewCount can match, lower
// case, with how far before and after it they can reach.
type churnWord struct {
	word          string
	before, after int
}

var churnWords = []churnWord{
	{"updated", 16, 90}, {"modified", 16, 90}, {"reviewed", 16, 90}, {"changed", 16, 90},
	{"edited", 16, 90}, {"published", 16, 90}, {"posted", 16, 90},
	{"view", 40, 24}, {"visit", 40, 24}, {"read", 40, 24}, {"hits", 40, 24}, {"download", 40, 24},
}

// churnByFirst lists churnWords by their first letter.
var churnByFirst = func() (t [256][]churnWord) {
	for _, w := range churnWords {
		t[w.word[0]] = append(t[w.word[0]], w)
	}
	return t
}()

// replaceNear removes stamp dates and counters from the windows of s
// around the churnWords that start a word (in any ASCII case). One pass
// looks at each word's first letters only.
func replaceNear(s string) string {
	var spans [][2]int
	for i := 0; i < len(s); i++ {
		ws := churnByFirst[s[i]|0x20] // lower case, for ASCII letters
		if ws == nil || i > 0 && isASCIILetter(s[i-1]) {
			continue
		}
		for _, w := range ws {
			if len(s)-i >= len(w.word) && strings.EqualFold(s[i:i+len(w.word)], w.word) {
				spans = append(spans, [2]int{max(0, i-w.before), min(len(s), i+len(w.word)+w.after)})
			}
		}
	}
	if len(spans) == 0 {
		return s
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	merged := spans[:1]
	for _, sp := range spans[1:] {
		if last := &merged[len(merged)-1]; sp[0] <= last[1] {
			last[1] = max(last[1], sp[1])
		} else {
			merged = append(merged, sp)
		}
	}
	var b strings.Builder
	b.Grow(len(s))
	done := 0
	for _, sp := range merged {
		lo, hi := max(sp[0], done), sp[1]
		for lo > done && !utf8.RuneStart(s[lo]) {
			lo--
		}
		for hi < len(s) && !utf8.RuneStart(s[hi]) {
			hi++
		}
		b.WriteString(s[done:lo])
		w := boilerDate.ReplaceAllString(s[lo:hi], "$1")
		b.WriteString(viewCount.ReplaceAllString(w, ""))
		done = hi
	}
	b.WriteString(s[done:])
	return b.String()
}

func isASCIILetter(c byte) bool { c |= 0x20; return 'a' <= c && c <= 'z' }

// collapseSpace trims s and turns every run of white space into one
// space; most text is tidy already and is returned as is.
func collapseSpace(s string) string {
	prevSpace := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				return strings.Join(strings.Fields(s), " ")
			}
			prevSpace = false
			i += n - 1
			continue
		}
		if asciiSpace[c] {
			if c != ' ' || prevSpace {
				return strings.Join(strings.Fields(s), " ")
			}
			prevSpace = true
			continue
		}
		prevSpace = false
	}
	if prevSpace {
		return strings.Join(strings.Fields(s), " ")
	}
	return s
}

var asciiSpace = [256]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			return true
		}
	}
	return false
}

// stripTracking drops campaign and click parameters from a link, by the
// same list internal/links uses for an item's own link.
func stripTracking(raw string) string {
	base, query, ok := strings.Cut(raw, "?")
	if !ok {
		return raw
	}
	query, frag, _ := strings.Cut(query, "#")
	var kept []string
	for _, pair := range strings.Split(query, "&") {
		key, _, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		if pair != "" && !links.TrackingParam(key) {
			kept = append(kept, pair)
		}
	}
	out := base
	if len(kept) > 0 {
		out += "?" + strings.Join(kept, "&")
	}
	if frag != "" {
		out += "#" + frag
	}
	return out
}
