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
	"time"

	"github.com/ituwatch/ituwatch/internal/cpuslots"
	"github.com/ituwatch/ituwatch/itudoc"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/textdiff"
)

// Matcher finds the topics an item hits.
type Matcher interface {
	Match(it *model.Item) []model.Match
}

// Routes maps a topic and severity to the configured destinations; the
// daemon's is a RouteTable built from the config.
type Routes interface {
	DestinationsFor(topic string, sev model.Severity) []model.Destination
}

// ItemRoutes is what a Routes also answers when some routes take only
// some items (those of some proposers): the routes that take it.
type ItemRoutes interface {
	ForItem(it *model.Item) Routes
}

// routesFor are the routes that take it.
func (in *Ingester) routesFor(it *model.Item) Routes {
	if ir, ok := in.opts.Routes.(ItemRoutes); ok {
		return ir.ForItem(it)
	}
	return in.opts.Routes
}

// ItemStore is what ingest needs to remember items and queue alerts.
type ItemStore interface {
	PriorItems(ctx context.Context, sourceID string, itemIDs []string) (map[string]*model.PriorItem, error)
	SaveItems(ctx context.Context, saves []model.ItemSave) []error
	Subscribers(ctx context.Context, topic string) ([]string, error)
	StoryCandidates(ctx context.Context, since time.Time, limit int) ([]model.StoryCandidate, error)
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
	opts    Options
	stories *stories
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
	return &Ingester{opts: opts, stories: &stories{src: opts.Store, now: opts.Now, window: opts.StoryWindow}}
}

// Ingest handles one polled batch of a source. It has the shape of the
// scheduler's sink. Each item goes through the same steps: its prior
// version, what it matches, what to store (nothing, the item, a new alert,
// an update, or another report of a story already alerted), where its
// alert goes, the per-poll limit, and the save. The batch is looked up
// with one query and saved in one transaction (store.SaveItems), since a
// poll's items arrive together; an error on one item is reported after
// the rest of the batch was handled, so one bad item does not hide the
// others.
func (in *Ingester) Ingest(ctx context.Context, sourceID string, items []model.Item) error {
	for i := range items {
		if items[i].SourceID == "" {
			items[i].SourceID = sourceID
		}
	}
	items = parentsFirst(items)
	priors, seen, fingerprints, err := in.priorVersions(ctx, sourceID, items)
	if err != nil {
		return fmt.Errorf("ingest %s: %w", sourceID, err)
	}

	b := batch{in: in, saves: make([]model.ItemSave, 0, len(items)), claims: make([]*storyClaim, 0, len(items))}
	if in.opts.AlertLimit != nil {
		b.limit = in.opts.AlertLimit(sourceID)
	}
	if b.personal, err = in.loadPersonal(ctx); err != nil {
		return fmt.Errorf("ingest %s: %w", sourceID, err)
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
		if parent, _, ok := itudoc.Parent(it.Document); ok && batchIDs[parent] {
			// An addendum listed with its parent threads under the
			// parent's alert, which must be saved to be found.
			b.flush(ctx)
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

// priorVersions looks up what the store holds of a batch: the prior
// version of each item by id, and, for items it has no version of, whether
// their text is stored under another id. It also returns each item's
// fingerprint.
func (in *Ingester) priorVersions(ctx context.Context, sourceID string, items []model.Item) (map[string]*model.PriorItem, map[string]bool, []string, error) {
	ids := make([]string, len(items))
	for i := range items {
		ids[i] = items[i].ID
	}
	priors, err := in.opts.Store.PriorItems(ctx, sourceID, ids)
	if err != nil {
		return nil, nil, nil, err
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
			return nil, nil, nil, err
		}
	}
	return priors, seen, fingerprints, nil
}

// lookUp asks the store about one item alone.
func (in *Ingester) lookUp(ctx context.Context, it *model.Item, fingerprint string) (*model.PriorItem, bool, error) {
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

// prepare decides what to store of one item given its prior version (nil
// if new) and whether its text is already stored under another id, and adds
// the save to the batch.
func (in *Ingester) prepare(ctx context.Context, b *batch, it *model.Item, fingerprint string, prior *model.PriorItem, knownText bool) error {
	if prior != nil && prior.Fingerprint == fingerprint {
		return nil
	}
	if prior != nil && prior.Item.Fingerprint() == fingerprint {
		// Only churn changed (see model.ComparableText), or an older
		// ituwatch fingerprinted the prior version differently: keep the
		// new version quietly, so the next poll finds its fingerprint.
		b.add(model.ItemSave{Item: *it, Fingerprint: fingerprint}, nil)
		return nil
	}
	if prior == nil && knownText {
		// The same words under a new id: a feed that changes guids on every
		// poll. Not worth a row, let alone an alert.
		return nil
	}

	save := model.ItemSave{Item: *it, Fingerprint: fingerprint}
	matches := in.opts.Matcher.Match(it)
	var parent *parentAlert
	if len(matches) > 0 {
		var err error
		if parent, err = in.parentAlert(ctx, it); err != nil {
			return err
		}
	}
	tooOld := parent == nil && in.tooOld(it, prior)
	var claim *storyClaim
	if len(matches) > 0 && prior == nil && parent == nil {
		// The same story from another outlet, or from the same outlet under
		// a new guid, joins the first alert instead of alerting again.
		alertID, c, err := in.stories.Find(ctx, it, !tooOld, b.waitForStory(ctx))
		if err != nil {
			return fmt.Errorf("find earlier reports of %s/%s: %w", it.SourceID, it.ID, err)
		}
		claim = c
		if alertID != 0 {
			save.JoinAlertID = alertID
			matches = nil
		}
	}
	if len(matches) > 0 && !tooOld {
		alert := &model.Alert{Kind: model.AlertNew, Item: *it, Matches: matches}
		if prior != nil && prior.FirstAlertID != 0 {
			alert.Kind = model.AlertUpdate
			alert.ParentID = prior.FirstAlertID
			alert.Change = DescribeChange(&prior.Item, it)
			alert.Diff = ChangeDiff(&prior.Item, it)
		} else if it.Diff != nil {
			alert.Diff = it.Diff
		}
		if parent != nil {
			// An addendum or corrigendum, and its own updates, go to the
			// thread of the document it belongs to.
			alert.Kind = model.AlertUpdate
			alert.ParentID = parent.alertID
			alert.Change = joinChange(parent.line, alert.Change)
		}
		textdiff.MarkHits(alert.Diff, matches)
		routes := in.routesFor(it)
		dests, err := in.destinations(ctx, routes, matches)
		if err != nil {
			in.stories.Add(claim, it, nil) // nothing will be stored: the claim dies
			return err
		}
		dests, digests, err := in.splitDigests(ctx, b, routes, matches, dests)
		if err != nil {
			in.stories.Add(claim, it, nil)
			return err
		}
		save.Alert = alert
		save.Destinations = dests
		save.DigestDestinations = digests
	}
	in.applyPersonal(b.personal, it, prior, tooOld, &save)
	b.add(save, claim)
	return nil
}

// tooOld reports whether a first-seen item is back catalogue. Updates of
// items that already alerted are never too old: their readers want the thread.
func (in *Ingester) tooOld(it *model.Item, prior *model.PriorItem) bool {
	if in.opts.MaxAge <= 0 || (prior != nil && prior.FirstAlertID != 0) {
		return false
	}
	when := it.When()
	return !when.IsZero() && in.opts.Now().Sub(when) > in.opts.MaxAge
}

// destinations merges the configured routes with channel subscriptions,
// without duplicates, routes first.
func (in *Ingester) destinations(ctx context.Context, routes Routes, matches []model.Match) ([]string, error) {
	var out []string
	add := func(d string) {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	for _, m := range matches {
		for _, d := range routes.DestinationsFor(m.Topic, m.Severity) {
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
