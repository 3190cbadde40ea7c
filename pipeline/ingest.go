// Package pipeline turns polled items into stored alerts: it decides whether
// an item is new, unchanged or an update, asks the rules what it matches,
// works out where the alert goes, and stores the item, the alert and its
// deliveries together so that the dispatcher can never miss or repeat one.
package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ituwatch/ituwatch/internal/cpuslots"
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
	PriorItems(ctx context.Context, sourceID string, itemIDs []string) (map[string]*store.PriorItem, error)
	SaveItems(ctx context.Context, saves []store.Save) []error
	Subscribers(ctx context.Context, topic string) ([]string, error)
	StoryCandidates(ctx context.Context, since time.Time, limit int) ([]store.StoryCandidate, error)
	SeenFingerprints(ctx context.Context, sourceID string, fingerprints []string) (map[string]bool, error)
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
	// demo summary), summaries of held alerts included.
	OnAlert func(a model.Alert, destinations []string)
	// AlertLimit, if set, is how many alerts one poll of a source may send
	// to each destination; zero or less is no limit. The rest are stored
	// like any alert but not sent, and the destination gets one summary
	// that says how many were held and how to see them (see capAlerts).
	AlertLimit func(sourceID string) int
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
// scheduler's sink. The batch is looked up with one query and saved in one
// transaction (store.SaveItems), since a poll's items arrive together; an
// error on one item is reported after the rest of the batch was handled, so
// one bad item does not hide the others.
func (in *Ingester) Ingest(ctx context.Context, sourceID string, items []model.Item) error {
	b := batch{in: in, saves: make([]store.Save, 0, len(items)), pending: make([]*pendingStory, 0, len(items))}
	if in.opts.AlertLimit != nil {
		b.limit = in.opts.AlertLimit(sourceID)
	}
	ids := make([]string, len(items))
	for i := range items {
		if items[i].SourceID == "" {
			items[i].SourceID = sourceID
		}
		ids[i] = items[i].ID
	}
	priors, err := in.opts.Store.PriorItems(ctx, sourceID, ids)
	if err != nil {
		return fmt.Errorf("ingest %s: %w", sourceID, err)
	}
	fingerprints := make([]string, len(items))
	var fresh []string
	for i := range items {
		fingerprints[i] = items[i].Fingerprint()
		if priors[items[i].ID] == nil {
			fresh = append(fresh, fingerprints[i])
		}
	}
	seen := map[string]bool{}
	if len(fresh) > 0 {
		if seen, err = in.opts.Store.SeenFingerprints(ctx, sourceID, fresh); err != nil {
			return fmt.Errorf("ingest %s: %w", sourceID, err)
		}
	}

	// Matching is CPU-bound work: it takes a CPU slot, which the batch
	// gives up whenever it waits for the writer or another batch.
	if b.release, err = cpuslots.Acquire(ctx); err != nil {
		return fmt.Errorf("ingest %s: %w", sourceID, err)
	}
	batchIDs := make(map[string]bool, len(items))
	batchPrints := make(map[string]bool, len(items))
	for i := range items {
		it := &items[i]
		prior, known := priors[it.ID], seen[fingerprints[i]]
		if batchIDs[it.ID] || batchPrints[fingerprints[i]] {
			// The batch repeats an id or a text: what the store will hold
			// once the earlier one is saved decides, so save first and ask.
			b.flush(ctx)
			if prior, known, err = in.lookUp(ctx, it, fingerprints[i]); err != nil {
				b.fail(err)
				continue
			}
		}
		batchIDs[it.ID], batchPrints[fingerprints[i]] = true, true
		if err := in.prepare(ctx, &b, it, fingerprints[i], prior, known); err != nil {
			if ctx.Err() != nil {
				b.leaveCPU()
				b.flush(ctx)
				return fmt.Errorf("ingest %s: %w", sourceID, ctx.Err())
			}
			b.fail(err)
		}
	}
	b.leaveCPU()
	b.addSummaries(sourceID)
	b.flush(ctx)
	if b.queued > 0 {
		in.opts.Wake()
	}
	if len(b.errs) > 0 {
		return fmt.Errorf("ingest %s: %d of %d items failed, first: %w", sourceID, len(b.errs), len(items), b.errs[0])
	}
	return nil
}

// lookUp asks the store about one item alone.
func (in *Ingester) lookUp(ctx context.Context, it *model.Item, fingerprint string) (*store.PriorItem, bool, error) {
	priors, err := in.opts.Store.PriorItems(ctx, it.SourceID, []string{it.ID})
	if err != nil {
		return nil, false, fmt.Errorf("look up item %s/%s: %w", it.SourceID, it.ID, err)
	}
	prior := priors[it.ID]
	if prior != nil {
		return prior, false, nil
	}
	seen, err := in.opts.Store.SeenFingerprints(ctx, it.SourceID, []string{fingerprint})
	if err != nil {
		return nil, false, err
	}
	return nil, seen[fingerprint], nil
}

// batch collects the saves of one Ingest until they are flushed together.
type batch struct {
	in      *Ingester
	saves   []store.Save
	pending []*pendingStory // per save; nil when it holds no pending story
	errs    []error
	queued  int    // saved alerts with somewhere to go
	release func() // gives up the batch's CPU slot; nil when it holds none

	// The per-poll limit (see capAlerts): alerts sent so far to each
	// destination, and what was held back from each.
	limit  int
	sent   map[string]int
	held   map[string]*heldBack
	capped int // saves[:capped] were capped already
}

// heldBack is what the limit kept from one destination in one poll.
type heldBack struct {
	count       int
	topics      map[string]int
	item        model.Item // the first item held, which the summary is filed under
	fingerprint string
}

func (b *batch) fail(err error) { b.errs = append(b.errs, err) }

func (b *batch) leaveCPU() {
	if b.release != nil {
		b.release()
		b.release = nil
	}
}

// outsideCPU runs wait (for the writer, or for another batch) without the
// batch's CPU slot, so that the cores do other work meanwhile.
func (b *batch) outsideCPU(ctx context.Context, wait func()) {
	held := b.release != nil
	b.leaveCPU()
	wait()
	if held {
		// Without a slot if ctx ended: the caller's next step fails on it.
		b.release, _ = cpuslots.Acquire(ctx)
	}
}

func (b *batch) add(sv store.Save, p *pendingStory) {
	b.saves = append(b.saves, sv)
	b.pending = append(b.pending, p)
}

// flush saves the collected items in one transaction and settles their
// pending stories, so that no pending story of this batch is held while
// it waits for anything else.
func (b *batch) flush(ctx context.Context) {
	if len(b.saves) == 0 {
		return
	}
	in := b.in
	b.capAlerts()
	var errs []error
	b.outsideCPU(ctx, func() { errs = in.opts.Store.SaveItems(ctx, b.saves) })
	for i := range b.saves {
		sv := &b.saves[i]
		if errs[i] != nil {
			b.fail(errs[i])
			if b.pending[i] != nil {
				in.settleStory(b.pending[i], nil) // nothing was stored: the pending story dies
			}
			continue
		}
		story := sv.Alert
		if story != nil && len(story.HeldFrom) > 0 && len(sv.Destinations) == 0 {
			// Kept from every destination, so seen by no one: a later
			// report of the story must alert, not join it.
			story = nil
		}
		if b.pending[i] != nil {
			in.settleStory(b.pending[i], story)
		} else if story != nil && story.Kind == model.AlertNew {
			// A first alert for an item seen before (it matched nothing
			// then): later reports of its story join it.
			in.storyMu.Lock()
			in.stories.add(&sv.Item, sv.Alert.ID, sv.Alert.CreatedAt)
			in.storyMu.Unlock()
		}
		if sv.JoinAlertID != 0 {
			in.opts.Logger.Info("same story as an earlier alert", "alert", sv.JoinAlertID, "source", sv.Item.SourceID)
		}
		if sv.Alert == nil {
			continue
		}
		in.opts.Logger.Info("alert queued", "alert", sv.Alert.ID, "source", sv.Item.SourceID,
			"kind", sv.Alert.Kind, "topics", strings.Join(sv.Alert.Topics(), ","), "deliveries", len(sv.Destinations))
		if in.opts.OnAlert != nil {
			in.opts.OnAlert(*sv.Alert, sv.Destinations)
		}
		if len(sv.Destinations) > 0 {
			b.queued++
		}
	}
	b.saves, b.pending, b.capped = b.saves[:0], b.pending[:0], 0
}

// capAlerts applies the per-poll limit to the alerts about to be saved:
// each destination keeps at most limit alerts of the poll, the most
// important first (highest severity, then highest score, then the newest
// item, then feed order), and the others lose that destination. Updates
// count like new alerts: a feed that revises a thousand items floods as
// much as one that adds them. A poll is normally saved in one flush, so
// the ranking is over the whole poll; when a poll is saved in several
// (an id repeated in the batch, or a story another poll is saving), each
// flush ranks its own alerts within what the earlier ones left.
func (b *batch) capAlerts() {
	if b.limit <= 0 {
		return
	}
	var idx []int
	for i := b.capped; i < len(b.saves); i++ {
		if sv := &b.saves[i]; sv.Alert != nil && sv.Alert.Kind != model.AlertSummary && len(sv.Destinations) > 0 {
			idx = append(idx, i)
		}
	}
	b.capped = len(b.saves)
	slices.SortStableFunc(idx, func(i, j int) int { return compareImportance(b.saves[i].Alert, b.saves[j].Alert) })
	if b.sent == nil {
		b.sent = map[string]int{}
	}
	if b.held == nil {
		b.held = map[string]*heldBack{}
	}
	for _, i := range idx {
		sv := &b.saves[i]
		kept := sv.Destinations[:0:0]
		for _, d := range sv.Destinations {
			if b.sent[d] < b.limit {
				b.sent[d]++
				kept = append(kept, d)
				continue
			}
			h := b.held[d]
			if h == nil {
				h = &heldBack{topics: map[string]int{}, item: sv.Item, fingerprint: sv.Fingerprint}
				b.held[d] = h
			}
			h.count++
			for _, t := range sv.Alert.Topics() {
				h.topics[t]++
			}
			sv.Alert.HeldFrom = append(sv.Alert.HeldFrom, d)
		}
		sv.Destinations = kept
	}
}

// compareImportance orders alerts most important first.
func compareImportance(a, b *model.Alert) int {
	if c := cmp.Compare(b.MaxSeverity(), a.MaxSeverity()); c != 0 {
		return c
	}
	if c := cmp.Compare(maxScore(b), maxScore(a)); c != 0 {
		return c
	}
	return b.Item.When().Compare(a.Item.When())
}

func maxScore(a *model.Alert) float64 {
	s := 0.0
	for _, m := range a.Matches {
		s = max(s, m.Score)
	}
	return s
}

// maxSummaryTopics bounds the topics a summary names.
const maxSummaryTopics = 5

// addSummaries queues, with the poll's last flush, one summary for each
// destination the limit held alerts from, so that the summary is saved
// (and later sent) exactly once, in the transaction of the poll's last
// alerts. The summary is filed under the first item held from that
// destination.
func (b *batch) addSummaries(sourceID string) {
	b.capAlerts() // the last flush's alerts count too
	dests := make([]string, 0, len(b.held))
	for d := range b.held {
		dests = append(dests, d)
	}
	slices.Sort(dests) // console first: it is the one `once` prints
	for _, d := range dests {
		h := b.held[d]
		topics := make([]string, 0, len(h.topics))
		for t := range h.topics {
			topics = append(topics, t)
		}
		slices.SortFunc(topics, func(x, y string) int {
			return cmp.Or(cmp.Compare(h.topics[y], h.topics[x]), cmp.Compare(x, y))
		})
		if len(topics) > maxSummaryTopics {
			topics = topics[:maxSummaryTopics]
		}
		b.add(store.Save{
			Item:        h.item,
			Fingerprint: h.fingerprint,
			Alert: &model.Alert{
				Kind: model.AlertSummary,
				Item: model.Item{SourceID: sourceID},
				Held: &model.HeldAlerts{Source: sourceID, Destination: d, Count: h.count, Limit: b.limit, Topics: topics},
			},
			Destinations: []string{d},
		}, nil)
	}
	b.held = nil
}

// prepare decides what to store of one item given its prior version (nil
// if new) and whether its text is already stored under another id, and adds
// the save to the batch.
func (in *Ingester) prepare(ctx context.Context, b *batch, it *model.Item, fingerprint string, prior *store.PriorItem, knownText bool) error {
	if prior != nil && prior.Fingerprint == fingerprint {
		return nil
	}
	if prior == nil && knownText {
		// The same words under a new id: a feed that changes guids on every
		// poll. Not worth a row, let alone an alert.
		return nil
	}

	save := store.Save{Item: *it, Fingerprint: fingerprint}
	matches := in.opts.Matcher.Match(it)
	var pending *pendingStory
	if len(matches) > 0 && prior == nil {
		// The same story from another outlet, or from the same outlet under
		// a new guid, joins the first alert instead of alerting again.
		alertID, p, err := in.claimStory(ctx, b, it, in.tooOld(it, prior))
		if err != nil {
			return fmt.Errorf("find earlier reports of %s/%s: %w", it.SourceID, it.ID, err)
		}
		pending = p
		if alertID != 0 {
			save.JoinAlertID = alertID
			matches = nil
		}
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
			if pending != nil {
				in.settleStory(pending, nil)
			}
			return err
		}
		save.Alert = alert
		save.Destinations = dests
	}
	b.add(save, pending)
	return nil
}

// claimStory decides, for a newly seen item that matched, whether it is
// another report of a story already alerted (the alert's id) or a new story.
// A new story that will alert is entered in the index at once as pending,
// so that "look for an earlier report, then save" is one step for items of
// the same story polled at the same moment, while the saves of unrelated
// items still run (and commit) together; a report of a pending story waits
// for its save, after saving its own batch so far (whose pending stories
// another batch may be waiting for). The batch must settle the returned
// pending story.
func (in *Ingester) claimStory(ctx context.Context, b *batch, it *model.Item, tooOld bool) (int64, *pendingStory, error) {
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
			b.flush(ctx)
			b.outsideCPU(ctx, func() {
				select {
				case <-wait:
				case <-ctx.Done():
				}
			})
			if err := ctx.Err(); err != nil {
				return 0, nil, err
			}
			continue // alerted or failed: look again
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
	// Scratch of find: shared-word counts by entry index, and the
	// indexes counted, so a look-up clears only what it touched.
	counts  []int32
	touched []int
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

// sharedWordsSameTitle is sameTitle from the sizes of two word sets and the
// number of words they share.
func sharedWordsSameTitle(a, b, shared int) bool {
	if a > 0 && b > 0 && float64(shared)/float64(a+b-shared) >= titleOverlap {
		return true
	}
	shorter := min(a, b)
	return shorter >= minContained && float64(shared)/float64(shorter) >= containedShare
}
