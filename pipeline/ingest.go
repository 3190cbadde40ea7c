// Package pipeline turns polled items into stored alerts: it decides whether
// an item is new, unchanged or an update, asks the rules what it matches,
// works out where the alert goes, and stores the item, the alert and its
// deliveries together so that the dispatcher can never miss or repeat one.
package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// Matcher finds the topics an item hits.
type Matcher interface {
	Match(it *model.Item) []model.Match
}

// Routes maps a topic and severity to the configured destinations.
type Routes interface {
	DestinationsFor(topic string, sev model.Severity) []model.Destination
}

// ItemStore is what ingest needs to remember items and queue alerts.
type ItemStore interface {
	PriorItem(ctx context.Context, sourceID, itemID string) (*store.PriorItem, error)
	SaveItem(ctx context.Context, sv store.Save) (int64, error)
	Subscribers(ctx context.Context, topic string) ([]string, error)
	StoryCandidates(ctx context.Context, since time.Time, limit int) ([]store.StoryCandidate, error)
	SeenFingerprint(ctx context.Context, sourceID, fingerprint string) (bool, error)
}

// Options configures an Ingester.
type Options struct {
	Store   ItemStore
	Matcher Matcher
	Routes  Routes
	// Wake is called after alerts were queued, so the dispatcher sends them now.
	Wake   func()
	Logger *slog.Logger
	Now    func() time.Time
	// MaxAge keeps a newly added source from flooding channels with its back
	// catalogue: an item first seen with a publication date older than this is
	// stored silently. Zero alerts everything.
	MaxAge time.Duration
	// StoryWindow is how far back a new item is compared with earlier alerts
	// to recognise one story told by several outlets; default 72h.
	StoryWindow time.Duration
	// OnAlert, if set, is told about every alert stored (for counters and the
	// demo summary).
	OnAlert func(a model.Alert, destinations []string)
}

// Ingester stores polled items and queues their alerts. It is safe for
// concurrent use by the scheduler's polls.
type Ingester struct {
	opts Options
	// storyMu makes "look for an earlier report, then save" one step, so two
	// sources polled at the same moment cannot both alert one story.
	storyMu sync.Mutex
	stories storyIndex // guarded by storyMu
}

// NewIngester returns an Ingester; Store, Matcher and Routes are required.
func NewIngester(opts Options) *Ingester {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Wake == nil {
		opts.Wake = func() {}
	}
	if opts.StoryWindow == 0 {
		opts.StoryWindow = defaultStoryWindow
	}
	return &Ingester{opts: opts}
}

// Ingest handles one polled batch of a source. It has the shape of the
// scheduler's sink. An error on one item is reported after the rest of the
// batch was handled, so one bad item does not hide the others.
func (in *Ingester) Ingest(ctx context.Context, sourceID string, items []model.Item) error {
	var errs []error
	queued := 0
	for i := range items {
		it := &items[i]
		if it.SourceID == "" {
			it.SourceID = sourceID
		}
		alerted, err := in.ingestOne(ctx, it)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("ingest %s: %w", sourceID, ctx.Err())
			}
			errs = append(errs, err)
			continue
		}
		if alerted {
			queued++
		}
	}
	if queued > 0 {
		in.opts.Wake()
	}
	if len(errs) > 0 {
		return fmt.Errorf("ingest %s: %d of %d items failed, first: %w", sourceID, len(errs), len(items), errs[0])
	}
	return nil
}

func (in *Ingester) ingestOne(ctx context.Context, it *model.Item) (alerted bool, err error) {
	prior, err := in.opts.Store.PriorItem(ctx, it.SourceID, it.ID)
	if err != nil {
		return false, fmt.Errorf("look up item %s/%s: %w", it.SourceID, it.ID, err)
	}
	fingerprint := it.Fingerprint()
	if prior != nil && prior.Fingerprint == fingerprint {
		return false, nil
	}
	if prior == nil {
		// The same words under a new id: a feed that changes guids on every
		// poll. Not worth a row, let alone an alert.
		seen, err := in.opts.Store.SeenFingerprint(ctx, it.SourceID, fingerprint)
		if err != nil {
			return false, err
		}
		if seen {
			return false, nil
		}
	}

	save := store.Save{Item: *it, Fingerprint: fingerprint}
	matches := in.opts.Matcher.Match(it)
	var pending *pendingStory
	if len(matches) > 0 && prior == nil {
		// The same story from another outlet, or from the same outlet under
		// a new guid, joins the first alert instead of alerting again.
		alertID, p, err := in.claimStory(ctx, it, in.tooOld(it, prior))
		if err != nil {
			return false, fmt.Errorf("find earlier reports of %s/%s: %w", it.SourceID, it.ID, err)
		}
		pending = p
		if alertID != 0 {
			save.JoinAlertID = alertID
			matches = nil
			in.opts.Logger.Info("same story as an earlier alert", "alert", alertID, "source", it.SourceID)
		}
	}
	if pending != nil {
		// Whatever happens to the save, items of the same story waiting
		// on this one must learn the outcome.
		defer func() { in.settleStory(pending, save.Alert) }()
	}
	if len(matches) > 0 && !in.tooOld(it, prior) {
		alert := &model.Alert{Kind: model.AlertNew, Item: *it, Matches: matches}
		if prior != nil && prior.FirstAlertID != 0 {
			alert.Kind = model.AlertUpdate
			alert.ParentID = prior.FirstAlertID
			alert.Change = DescribeChange(&prior.Item, it)
		}
		dests, err := in.destinations(ctx, matches)
		if err != nil {
			return false, err
		}
		save.Alert = alert
		save.Destinations = dests
	}

	if _, err := in.opts.Store.SaveItem(ctx, save); err != nil {
		save.Alert = nil // nothing was stored: the pending story dies
		return false, fmt.Errorf("save item %s/%s: %w", it.SourceID, it.ID, err)
	}
	if pending == nil && save.Alert != nil && save.Alert.Kind == model.AlertNew {
		// A first alert for an item seen before (it matched nothing then):
		// later reports of its story join it.
		in.storyMu.Lock()
		in.stories.add(it, save.Alert.ID, save.Alert.CreatedAt)
		in.storyMu.Unlock()
	}
	if save.Alert == nil {
		return false, nil
	}
	in.opts.Logger.Info("alert queued", "alert", save.Alert.ID, "source", it.SourceID,
		"kind", save.Alert.Kind, "topics", strings.Join(save.Alert.Topics(), ","), "deliveries", len(save.Destinations))
	if in.opts.OnAlert != nil {
		in.opts.OnAlert(*save.Alert, save.Destinations)
	}
	return len(save.Destinations) > 0, nil
}

// claimStory decides, for a newly seen item that matched, whether it is
// another report of a story already alerted (the alert's id) or a new story.
// A new story that will alert is entered in the index at once as pending,
// so that "look for an earlier report, then save" is one step for items of
// the same story polled at the same moment, while the saves of unrelated
// items still run (and commit) together; a report of a pending story waits
// for its save. The caller must settle the returned pending story.
func (in *Ingester) claimStory(ctx context.Context, it *model.Item, tooOld bool) (int64, *pendingStory, error) {
	for {
		in.storyMu.Lock()
		e, err := in.stories.find(ctx, in.opts.Store, it, in.opts.Now(), in.opts.StoryWindow)
		if err != nil {
			in.storyMu.Unlock()
			return 0, nil, err
		}
		if e != nil && e.pending != nil {
			wait := e.pending.done
			in.storyMu.Unlock()
			select {
			case <-wait:
				continue // alerted or failed: look again
			case <-ctx.Done():
				return 0, nil, ctx.Err()
			}
		}
		defer in.storyMu.Unlock()
		if e != nil {
			in.stories.push(e.alertID, e.created, it.Link, it.Title, it.Document == nil, nil)
			return e.alertID, nil, nil
		}
		if tooOld {
			return 0, nil, nil // no alert, so no story to join
		}
		p := &pendingStory{done: make(chan struct{})}
		in.stories.push(0, in.opts.Now(), it.Link, it.Title, it.Document == nil, p)
		return 0, p, nil
	}
}

// settleStory records the outcome of a pending story's save: the alert it
// became, or (a nil alert) that it will never be one.
func (in *Ingester) settleStory(p *pendingStory, a *model.Alert) {
	in.storyMu.Lock()
	defer in.storyMu.Unlock()
	if e := in.stories.entryOf(p); e != nil {
		e.pending = nil
		if a != nil && a.Kind == model.AlertNew {
			e.alertID, e.created = a.ID, a.CreatedAt
		}
	}
	close(p.done)
}

// tooOld reports whether a first-seen item is back catalogue. Updates of
// items that already alerted are never too old: their readers want the thread.
func (in *Ingester) tooOld(it *model.Item, prior *store.PriorItem) bool {
	if in.opts.MaxAge <= 0 || (prior != nil && prior.FirstAlertID != 0) {
		return false
	}
	when := it.When()
	return !when.IsZero() && in.opts.Now().Sub(when) > in.opts.MaxAge
}

// destinations merges the configured routes with channel subscriptions,
// without duplicates, routes first.
func (in *Ingester) destinations(ctx context.Context, matches []model.Match) ([]string, error) {
	var out []string
	add := func(d string) {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	for _, m := range matches {
		for _, d := range in.opts.Routes.DestinationsFor(m.Topic, m.Severity) {
			add(d.String())
		}
	}
	for _, m := range matches {
		subs, err := in.opts.Store.Subscribers(ctx, m.Topic)
		if err != nil {
			return nil, fmt.Errorf("subscribers of %s: %w", m.Topic, err)
		}
		for _, d := range subs {
			add(d)
		}
	}
	return out, nil
}

var languageNames = map[string]string{
	"en": "English", "fr": "French", "es": "Spanish", "ar": "Arabic", "zh": "Chinese", "ru": "Russian",
}

// DescribeChange says in a few words how an item differs from its prior
// version, for the "update of #N" line of an alert.
func DescribeChange(prev, cur *model.Item) string {
	var parts []string
	if prev.Document != nil && cur.Document != nil {
		if cur.Document.Revision != prev.Document.Revision && cur.Document.Revision != "" {
			parts = append(parts, "revised ("+cur.Document.Revision+")")
		}
		if cur.Document.Addendum != prev.Document.Addendum && cur.Document.Addendum != "" {
			parts = append(parts, "addendum ("+cur.Document.Addendum+")")
		}
		var added []string
		for _, l := range cur.Document.Languages {
			if !slices.Contains(prev.Document.Languages, l) {
				name := languageNames[l]
				if name == "" {
					name = l
				}
				added = append(added, name)
			}
		}
		if len(added) > 0 {
			parts = append(parts, "new language version: "+strings.Join(added, ", "))
		}
	}
	if cur.Title != prev.Title && len(parts) == 0 {
		parts = append(parts, "title changed")
	}
	if cur.Summary != prev.Summary || cur.Content != prev.Content {
		if len(parts) == 0 {
			parts = append(parts, "text changed")
		}
	}
	if len(parts) == 0 {
		return "updated"
	}
	return strings.Join(parts, "; ")
}

// storyReload is how long the story index trusts itself before reading the
// candidates from the store again, which picks up alerts written by another
// process (ituwatch once beside the daemon).
const storyReload = time.Minute

// maxStoryCandidates matches the store's cap on StoryCandidates.
const maxStoryCandidates = 5000

// storyIndex answers sameStory's question for the candidates of the story
// window without reading and re-tokenising every candidate for every item:
// each candidate's link key and title words are computed once, and a word
// index finds the candidates that share words with a new title. The answer
// is sameStory's: a candidate with the same link, or a title that
// sameTitle accepts, the most recent first.
type storyIndex struct {
	loaded time.Time
	base   int          // sequence number of entry[0]
	entry  []storyEntry // oldest first
	byLink map[string]int
	byWord map[string][]int
	counts map[int]int // scratch of find
}

type storyEntry struct {
	alertID int64 // 0 while pending, and for a pending story that failed
	created time.Time
	words   int
	byTitle bool          // not an ITU document, whose number is its identity
	pending *pendingStory // set while the first report's save is under way
}

// pendingStory is a new story whose alert is being saved.
type pendingStory struct {
	done        chan struct{} // closed when settled
	link, title string
	byTitle     bool
}

func (x *storyIndex) reload(ctx context.Context, st ItemStore, now time.Time, window time.Duration) error {
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
	*x = storyIndex{loaded: now, byLink: map[string]int{}, byWord: map[string][]int{}, counts: map[int]int{}}
	for i := len(cands) - 1; i >= 0; i-- { // the store lists newest first
		c := cands[i]
		x.push(c.AlertID, c.CreatedAt, c.Link, c.Title, !c.HasDocument, nil)
	}
	for _, e := range keep {
		x.push(0, e.created, e.pending.link, e.pending.title, e.pending.byTitle, e.pending)
	}
	return nil
}

func (x *storyIndex) push(alertID int64, created time.Time, link, title string, byTitle bool, p *pendingStory) {
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

// add records an item just filed under a first alert.
func (x *storyIndex) add(it *model.Item, alertID int64, created time.Time) {
	x.push(alertID, created, it.Link, it.Title, it.Document == nil, nil)
}

// entryOf finds the entry of a pending story.
func (x *storyIndex) entryOf(p *pendingStory) *storyEntry {
	for i := len(x.entry) - 1; i >= 0; i-- {
		if x.entry[i].pending == p {
			return &x.entry[i]
		}
	}
	return nil
}

// find returns the most recent candidate of the story window that it is
// another report of (sameStory's rules), or nil. The entry may be pending.
func (x *storyIndex) find(ctx context.Context, st ItemStore, it *model.Item, now time.Time, window time.Duration) (*storyEntry, error) {
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
			clear(x.counts)
			for w := range words {
				for _, seq := range x.byWord[w] {
					if seq >= x.base {
						x.counts[seq]++
					}
				}
			}
			for seq, n := range x.counts {
				e := &x.entry[seq-x.base]
				if e.byTitle && sharedWordsSameTitle(len(words), e.words, n) {
					consider(seq)
				}
			}
		}
	}
	return best, nil
}

// sharedWordsSameTitle is sameTitle from the sizes of two word sets and the
// number of words they share.
func sharedWordsSameTitle(a, b, shared int) bool {
	if a > 0 && b > 0 && float64(shared)/float64(a+b-shared) >= titleOverlap {
		return true
	}
	shorter := min(a, b)
	return shorter >= minContained && float64(shared)/float64(shorter) >= containedShare
}
