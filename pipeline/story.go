package pipeline

import (
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// defaultStoryWindow is how far back a newly seen item is compared with
// earlier alerts to find the same story told by another outlet.
const defaultStoryWindow = 72 * time.Hour

// minTitleWords keeps short, generic titles ("Weekly digest", "News in
// brief") from being taken for the same story.
const minTitleWords = 4

// titleOverlap is the share of words two titles must have in common to be
// one story.
const titleOverlap = 0.8

// A headline that another contains almost whole ("X" and "X at ITU-T") is
// the same story too, when it is long enough to be specific.
const (
	containedShare = 0.9
	minContained   = 6
)

// sameStory finds the earlier alert an item is another report of, if any.
// Feeds give the same story the same link (after tracking parameters were
// removed) or a near-identical title; ITU documents are identified by their
// number instead, so they never cluster by title.
func sameStory(it *model.Item, candidates []store.StoryCandidate) (int64, bool) {
	link := storyLink(it.Link)
	var words map[string]bool
	if it.Document == nil {
		words = titleWords(it.Title)
	}
	for _, c := range candidates {
		if link != "" && link == storyLink(c.Link) {
			return c.AlertID, true
		}
		if len(words) >= minTitleWords && !c.HasDocument && sameTitle(words, titleWords(c.Title)) {
			return c.AlertID, true
		}
	}
	return 0, false
}

// storyLink is a link reduced to what identifies an article: no scheme, no
// "www.", no fragment, no trailing slash. Tracking parameters are already
// gone (the watchers remove them).
func storyLink(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return ""
	}
	host := strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	key := host + path
	if u.RawQuery != "" {
		key += "?" + u.RawQuery
	}
	return key
}

// titleWords is the set of lowercase words of a title, without an outlet
// name appended after " - " or " | " (syndicated copies add their own).
func titleWords(title string) map[string]bool {
	for _, sep := range []string{" | ", " - ", " — "} {
		if i := strings.LastIndex(title, sep); i > 0 && len(strings.Fields(title[i+len(sep):])) <= 4 {
			title = title[:i]
		}
	}
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		words[w] = true
	}
	return words
}

func sameTitle(a, b map[string]bool) bool {
	if overlap(a, b) >= titleOverlap {
		return true
	}
	shorter := min(len(a), len(b))
	return shorter >= minContained && float64(shared(a, b))/float64(shorter) >= containedShare
}

func shared(a, b map[string]bool) int {
	n := 0
	for w := range a {
		if b[w] {
			n++
		}
	}
	return n
}

// overlap is the Jaccard similarity of two word sets.
func overlap(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n := shared(a, b)
	return float64(n) / float64(len(a)+len(b)-n)
}
