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
	if len(matches) > 0 && prior == nil {
		in.storyMu.Lock()
		defer in.storyMu.Unlock()
		// The same story from another outlet, or from the same outlet under
		// a new guid, joins the first alert instead of alerting again.
		cands, err := in.opts.Store.StoryCandidates(ctx, in.opts.Now().Add(-in.opts.StoryWindow), 0)
		if err != nil {
			return false, fmt.Errorf("find earlier reports of %s/%s: %w", it.SourceID, it.ID, err)
		}
		if alertID, ok := sameStory(it, cands); ok {
			save.JoinAlertID = alertID
			matches = nil
			in.opts.Logger.Info("same story as an earlier alert", "alert", alertID, "source", it.SourceID)
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
			return false, err
		}
		save.Alert = alert
		save.Destinations = dests
	}

	if _, err := in.opts.Store.SaveItem(ctx, save); err != nil {
		return false, fmt.Errorf("save item %s/%s: %w", it.SourceID, it.ID, err)
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
