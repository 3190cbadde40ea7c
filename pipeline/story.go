package pipeline

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/ituwatch/ituwatch/internal/links"
	"github.com/ituwatch/ituwatch/model"
)

// This file is the home of stories: one story told by several outlets, or
// by one outlet under changing guids, alerts once, and its later reports
// are filed under that first alert. The store keeps the alerts and lists
// the recent ones (StoryCandidates); everything else is here.

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

// storySource lists the recent first alerts a new item may be another
// report of.
type storySource interface {
	StoryCandidates(ctx context.Context, since time.Time, limit int) ([]model.StoryCandidate, error)
}

// stories recognises a newly seen item as another report of a story that
// already alerted. Feeds give the same story the same link (after tracking
// parameters were removed) or a near-identical title; ITU documents are
// identified by their number instead, so they never cluster by title.
type stories struct {
	src    storySource
	now    func() time.Time
	window time.Duration

	// mu makes "look for an earlier report, then save" one step, so two
	// sources polled at the same moment cannot both alert one story.
	mu  sync.Mutex
	idx storyIndex // guarded by mu
}

// storyClaim is a new story whose first alert is being saved: reports of
// the same story wait for it (see Find), and Add settles it.
type storyClaim struct {
	done        chan struct{} // closed when settled
	link, title string
	byTitle     bool
}

// Find looks for the story of a newly seen item that matched. It returns
// the alert the item is another report of (the item is recorded as one),
// or, for a new story, 0 and, if the item will alert, a claim: the story
// is entered at once as pending, so that "look for an earlier report,
// then save" is one step for items of the same story polled at the same
// moment, while the saves of unrelated items still run (and commit)
// together. The caller must pass the claim to Add once the item's save is
// over. When the item is another report of a story whose claim is not
// settled yet, Find calls wait with a channel closed at settlement, and
// looks again once wait returns; wait must not hold claims another
// waiter may be waiting for (the batch saves what it has first).
func (s *stories) Find(ctx context.Context, it *model.Item, willAlert bool, wait func(settled <-chan struct{}) error) (int64, *storyClaim, error) {
	for {
		s.mu.Lock()
		e, err := s.idx.find(ctx, s.src, it, s.now(), s.window)
		if err != nil {
			s.mu.Unlock()
			return 0, nil, err
		}
		if e != nil && e.pending != nil {
			settled := e.pending.done
			s.mu.Unlock()
			if err := wait(settled); err != nil {
				return 0, nil, err
			}
			continue // alerted or failed: look again
		}
		defer s.mu.Unlock()
		if e != nil {
			s.idx.push(e.alertID, e.created, it.Link, it.Title, it.Document == nil, nil)
			return e.alertID, nil, nil
		}
		if !willAlert {
			return 0, nil, nil // no alert, so no story to join
		}
		c := &storyClaim{done: make(chan struct{})}
		s.idx.push(0, s.now(), it.Link, it.Title, it.Document == nil, c)
		return 0, c, nil
	}
}

// Add records what became of a newly seen item's save: a, the alert it
// raised, starts a story unless it is not a first alert or is nil (nothing
// was raised or stored, or no one was sent it, so a later report must
// alert rather than join it). c is the claim Find gave the item, or nil:
// an item seen before that matches now has none.
func (s *stories) Add(c *storyClaim, it *model.Item, a *model.Alert) {
	if a != nil && a.Kind != model.AlertNew {
		a = nil
	}
	if c == nil && a == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c == nil {
		s.idx.push(a.ID, a.CreatedAt, it.Link, it.Title, it.Document == nil, nil)
		return
	}
	if e := s.idx.entryOf(c); e != nil {
		e.pending = nil
		if a != nil {
			e.alertID, e.created = a.ID, a.CreatedAt
		}
	}
	close(c.done)
}

// storyReload is how long the story index trusts itself before reading the
// candidates from the store again, which picks up alerts written by another
// process (ituwatch once beside the daemon).
const storyReload = time.Minute

// maxStoryCandidates matches the store's cap on StoryCandidates.
const maxStoryCandidates = 5000

// storyIndex finds the story of a new item among the candidates of the
// story window without reading and re-tokenising every candidate for every
// item: each candidate's link key and title words are computed once, and a
// word index finds the candidates that share words with a new title. The
// answer is a candidate with the same storyLink, or (neither being an ITU
// document) a title that sharedWordsSameTitle accepts, the most recent
// first: what the plain scan of every candidate would give (sameStory in
// the tests, which check that they agree).
type storyIndex struct {
	loaded time.Time
	base   int          // sequence number of entry[0]
	entry  []storyEntry // oldest first
	byLink map[string]int
	byWord map[string][]int
	// Scratch of find: shared-word counts by entry index, and the
	// indexes counted, so a look-up clears only what it touched.
	counts  []int32
	touched []int
}

type storyEntry struct {
	alertID int64 // 0 while pending, and for a pending story that failed
	created time.Time
	words   int
	byTitle bool        // not an ITU document, whose number is its identity
	pending *storyClaim // set while the first report's save is under way
}

func (x *storyIndex) reload(ctx context.Context, st storySource, now time.Time, window time.Duration) error {
	cands, err := st.StoryCandidates(ctx, now.Add(-window), 0)
	if err != nil {
		return err
	}
	// Stories being saved are not in the store yet: keep them.
	var keep []storyEntry
	for _, e := range x.entry {
		if e.pending != nil {
			keep = append(keep, e)
		}
	}
	*x = storyIndex{loaded: now, byLink: map[string]int{}, byWord: map[string][]int{}}
	for i := len(cands) - 1; i >= 0; i-- { // the store lists newest first
		c := cands[i]
		x.push(c.AlertID, c.CreatedAt, c.Link, c.Title, !c.HasDocument, nil)
	}
	for _, e := range keep {
		x.push(0, e.created, e.pending.link, e.pending.title, e.pending.byTitle, e.pending)
	}
	return nil
}

func (x *storyIndex) push(alertID int64, created time.Time, link, title string, byTitle bool, p *storyClaim) {
	if x.loaded.IsZero() {
		return // read from the store, with this item, on first use
	}
	if p != nil {
		p.link, p.title, p.byTitle = link, title, byTitle
	}
	seq := x.base + len(x.entry)
	e := storyEntry{alertID: alertID, created: created, byTitle: byTitle, pending: p}
	if key := storyLink(link); key != "" {
		x.byLink[key] = seq
	}
	if byTitle {
		words := titleWords(title)
		e.words = len(words)
		for w := range words {
			x.byWord[w] = append(x.byWord[w], seq)
		}
	}
	x.entry = append(x.entry, e)
	if len(x.entry) > maxStoryCandidates && x.entry[0].pending == nil {
		x.entry = x.entry[1:]
		x.base++
	}
}

// entryOf finds the entry of a pending story.
func (x *storyIndex) entryOf(p *storyClaim) *storyEntry {
	for i := len(x.entry) - 1; i >= 0; i-- {
		if x.entry[i].pending == p {
			return &x.entry[i]
		}
	}
	return nil
}

// find returns the most recent candidate of the story window that it is
// another report of, or nil. The entry may be pending.
func (x *storyIndex) find(ctx context.Context, st storySource, it *model.Item, now time.Time, window time.Duration) (*storyEntry, error) {
	if x.loaded.IsZero() || now.Sub(x.loaded) > storyReload || now.Before(x.loaded) {
		if err := x.reload(ctx, st, now, window); err != nil {
			return nil, err
		}
	}
	since := now.Add(-window)
	var best *storyEntry
	consider := func(seq int) {
		if seq < x.base {
			return
		}
		e := &x.entry[seq-x.base]
		if e.created.Before(since) || e.alertID == 0 && e.pending == nil {
			return
		}
		if best == nil || e.created.After(best.created) {
			best = e
		}
	}
	if key := storyLink(it.Link); key != "" {
		if seq, ok := x.byLink[key]; ok {
			consider(seq)
		}
	}
	if it.Document == nil {
		words := titleWords(it.Title)
		if len(words) >= minTitleWords {
			if len(x.counts) < len(x.entry) {
				x.counts = make([]int32, 2*len(x.entry))
			}
			for w := range words {
				for _, seq := range x.byWord[w] {
					if i := seq - x.base; i >= 0 {
						if x.counts[i] == 0 {
							x.touched = append(x.touched, i)
						}
						x.counts[i]++
					}
				}
			}
			for _, i := range x.touched {
				e := &x.entry[i]
				if e.byTitle && sharedWordsSameTitle(len(words), e.words, int(x.counts[i])) {
					consider(x.base + i)
				}
				x.counts[i] = 0
			}
			x.touched = x.touched[:0]
		}
	}
	return best, nil
}

// storyLink is a link reduced to what identifies an article: its
// canonical form (links.Canonical: no fragment, no tracking parameters, no
// default port) without scheme, "www." and trailing slash, so the http and
// https, www and bare copies of one article are one story. "" for a link
// with no host.
func storyLink(raw string) string {
	u, err := url.Parse(links.Canonical(raw))
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

// sharedWordsSameTitle reports whether two titles are one story, from the
// sizes of their word sets and the number of words they share: most words
// in common, or the shorter one almost whole in the longer.
func sharedWordsSameTitle(a, b, shared int) bool {
	if a > 0 && b > 0 && float64(shared)/float64(a+b-shared) >= titleOverlap {
		return true
	}
	shorter := min(a, b)
	return shorter >= minContained && float64(shared)/float64(shorter) >= containedShare
}
