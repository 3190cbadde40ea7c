package model

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
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
// space collapsed.
func ComparableText(s string) string {
	if s == "" {
		return s
	}
	if strings.Contains(s, "://") {
		s = webLink.ReplaceAllStringFunc(s, stripTracking)
	}
	if hasDigit(s) {
		s = boilerDate.ReplaceAllString(s, "$1")
		s = viewCount.ReplaceAllString(s, "")
	}
	return strings.Join(strings.Fields(s), " ")
}

func hasDigit(s string) bool {
	return strings.IndexFunc(s, unicode.IsDigit) >= 0
}

// stripTracking drops campaign and click parameters from a link, as
// internal/links does for an item's own link (model imports nothing of
// ituwatch; TestTrackingParamsAgreeWithLinks keeps the two lists alike).
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
		if pair != "" && !TrackingParam(key) {
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

// TrackingParam reports query keys that only identify a campaign or a click.
func TrackingParam(key string) bool {
	k := strings.ToLower(key)
	if strings.HasPrefix(k, "utm_") {
		return true
	}
	switch k {
	case "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid", "_hsenc", "_hsmi", "mkt_tok":
		return true
	}
	return false
}
