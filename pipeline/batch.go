package pipeline

import (
	"context"
	"strings"

	"github.com/ituwatch/ituwatch/internal/cpuslots"
	"github.com/ituwatch/ituwatch/model"
)

// batch collects the saves of one Ingest until they are flushed together.
type batch struct {
	in      *Ingester
	saves   []model.ItemSave
	claims  []*storyClaim // per save: the story claim it settles, or nil
	errs    []error
	queued  int    // saved alerts with somewhere to go
	release func() // gives up the batch's CPU slot; nil when it holds none

	// The per-poll limit (see capAlerts): alerts sent so far to each
	// destination, and what was held back from each.
	limit  int
	sent   map[string]int
	held   map[string]*heldBack
	capped int // saves[:capped] were capped already

	personal *personal // the mutes and follows in force (personal.go)
	// digests are the channels' own digests (digest.go), read on first use.
	digests     map[string]model.ChannelDigest
	digestsRead bool
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

func (b *batch) add(sv model.ItemSave, c *storyClaim) {
	b.saves = append(b.saves, sv)
	b.claims = append(b.claims, c)
}

// waitForStory is how the batch waits for the save of a story another
// batch claimed: it saves what it has first (whose claims another batch
// may be waiting for), and gives up its CPU slot meanwhile.
func (b *batch) waitForStory(ctx context.Context) func(settled <-chan struct{}) error {
	return func(settled <-chan struct{}) error {
		b.flush(ctx)
		b.outsideCPU(ctx, func() {
			select {
			case <-settled:
			case <-ctx.Done():
			}
		})
		return ctx.Err()
	}
}

// flush applies the per-poll limit to the collected items, saves them in
// one transaction and settles their story claims, so that no claim of this
// batch is held while it waits for anything else.
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
			in.stories.Add(b.claims[i], &sv.Item, nil) // nothing was stored: the claim dies
			continue
		}
		story := sv.Alert
		if story != nil && len(story.HeldFrom) > 0 && len(sv.Destinations) == 0 {
			// Kept from every destination, so seen by no one: a later
			// report of the story must alert, not join it.
			story = nil
		}
		in.stories.Add(b.claims[i], &sv.Item, story)
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
	b.saves, b.claims, b.capped = b.saves[:0], b.claims[:0], 0
}
