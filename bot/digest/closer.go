package digest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/ituwatch/ituwatch/internal/periods"
	"github.com/ituwatch/ituwatch/model"
)

// Store is what the Closer reads and writes; *store.Store satisfies it.
type Store interface {
	OpenDigestEntries(ctx context.Context, destination string, until time.Time) ([]model.DigestEntry, error)
	LastDigestEnd(ctx context.Context, destination string) (time.Time, error)
	MutedCount(ctx context.Context, destination string, start, end time.Time) (int, error)
	// CloseDigest records the period and queues its pages in one
	// transaction; a period already closed is an error that wraps
	// ErrClosed's text and writes nothing.
	CloseDigest(ctx context.Context, destination string, start, end time.Time, pages []model.Alert, alertIDs []int64) ([]int64, error)
	ChannelDigests(ctx context.Context) ([]model.ChannelDigest, error)
	OwedDigests(ctx context.Context) ([]string, error)
}

// Options configure a Closer.
type Options struct {
	Store Store
	// Plans are the digests of the config's routes; channels' own digests
	// (the digest chat command) are read from the store on every pass and
	// take precedence for their channel.
	Plans  []model.DigestPlan
	Wake   func() // tells the dispatcher pages were queued
	Now    func() time.Time
	Logger *slog.Logger
}

// Closer closes the periods of every digest as they end: it builds each
// digest from the alerts owed to it and queues its pages in the outbox, in
// the same transaction that records the period as closed, so that a crash
// neither sends a period twice nor skips one. A period that ended while
// ituwatch was not running closes at the next start, with everything owed
// since the last digest.
type Closer struct {
	opts Options
}

// NewCloser returns a Closer; call Run, or CloseDue for one pass.
func NewCloser(opts Options) *Closer {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Wake == nil {
		opts.Wake = func() {}
	}
	return &Closer{opts: opts}
}

// maxWait bounds Run's sleep, so a digest set in chat, or a clock that
// jumped, is noticed within a minute.
const maxWait = time.Minute

type plan struct {
	model.DigestPlan
	sched periods.Schedule
}

// plans are the config's plans with the channels' own over them, each
// destination once, in destination order.
func (c *Closer) plans(ctx context.Context) ([]plan, error) {
	byDest := map[string]model.DigestPlan{}
	for _, p := range c.opts.Plans {
		byDest[p.Destination] = p
	}
	chans, err := c.opts.Store.ChannelDigests(ctx)
	if err != nil {
		return nil, err
	}
	for _, cd := range chans {
		byDest[cd.Destination] = model.DigestPlan{Destination: cd.Destination, Schedule: cd.Schedule, Timezone: cd.Timezone}
	}
	out := make([]plan, 0, len(byDest))
	for _, p := range byDest {
		s, err := periods.Parse(p.Schedule, p.Timezone)
		if err != nil {
			// The config was validated and chat checks what it stores;
			// a schedule that no longer parses (a time zone database
			// without the zone) must not stop the other digests.
			c.opts.Logger.Error("digest schedule unusable", "destination", p.Destination, "error", err)
			continue
		}
		out = append(out, plan{DigestPlan: p, sched: s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Destination < out[j].Destination })
	return out, nil
}

// PlanFor is the digest plan of destination; ok false when it has none.
func (c *Closer) PlanFor(ctx context.Context, destination string) (model.DigestPlan, bool, error) {
	ps, err := c.plans(ctx)
	if err != nil {
		return model.DigestPlan{}, false, err
	}
	for _, p := range ps {
		if p.Destination == destination {
			return p.DigestPlan, true, nil
		}
	}
	return model.DigestPlan{}, false, nil
}

// CloseDue closes every period that has ended and returns how many digests
// it queued (empty periods are closed, not counted). An error with one
// destination does not stop the others.
func (c *Closer) CloseDue(ctx context.Context) (int, time.Time, error) {
	now := c.opts.Now()
	ps, err := c.plans(ctx)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read digest plans: %w", err)
	}
	var (
		queued int
		errs   []error
		next   time.Time
	)
	for _, p := range ps {
		n, err := c.closeOne(ctx, p, now)
		queued += n
		if err != nil {
			errs = append(errs, err)
		}
		if t := p.sched.Next(now); !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	// A digest turned off still owes what was put aside for it: it goes
	// out now, as a last digest, rather than never.
	owed, err := c.opts.Store.OwedDigests(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	for _, dest := range owed {
		if slices.ContainsFunc(ps, func(p plan) bool { return p.Destination == dest }) {
			continue
		}
		n, err := c.closeAt(ctx, model.DigestPlan{Destination: dest}, now)
		queued += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	if queued > 0 {
		c.opts.Wake()
	}
	return queued, next, errors.Join(errs...)
}

func (c *Closer) closeOne(ctx context.Context, p plan, now time.Time) (int, error) {
	last, err := c.opts.Store.LastDigestEnd(ctx, p.Destination)
	if err != nil {
		return 0, err
	}
	end := p.sched.Latest(last, now)
	if end.IsZero() {
		return 0, nil
	}
	return c.closeAt(ctx, p.DigestPlan, end)
}

// closeAt closes p's period ending at end.
func (c *Closer) closeAt(ctx context.Context, p model.DigestPlan, end time.Time) (int, error) {
	last, err := c.opts.Store.LastDigestEnd(ctx, p.Destination)
	if err != nil {
		return 0, err
	}
	if !end.After(last) {
		return 0, nil
	}
	pages, ids, err := c.build(ctx, p, last, end)
	if err != nil {
		return 0, err
	}
	if _, err := c.opts.Store.CloseDigest(ctx, p.Destination, last, end, pages, ids); err != nil {
		return 0, err
	}
	log := c.opts.Logger.With("destination", p.Destination, "period_end", end.Format(time.RFC3339))
	if len(pages) == 0 {
		log.Debug("digest period closed empty")
		return 0, nil
	}
	log.Info("digest queued", "alerts", len(ids), "pages", len(pages))
	return 1, nil
}

func (c *Closer) build(ctx context.Context, p model.DigestPlan, start, end time.Time) ([]model.Alert, []int64, error) {
	entries, err := c.opts.Store.OpenDigestEntries(ctx, p.Destination, end)
	if err != nil {
		return nil, nil, err
	}
	if len(entries) == 0 {
		return nil, nil, nil
	}
	muted, err := c.opts.Store.MutedCount(ctx, p.Destination, start, end)
	if err != nil {
		return nil, nil, err
	}
	pages, ids := Build(p, start, end, entries, muted)
	return pages, ids, nil
}

// Preview builds destination's digest of the period so far, as it would be
// sent now, without recording anything: the digest now chat command.
func (c *Closer) Preview(ctx context.Context, destination string) ([]model.Alert, error) {
	p, ok, err := c.PlanFor(ctx, destination)
	if err != nil {
		return nil, err
	}
	if !ok {
		p = model.DigestPlan{Destination: destination}
	}
	last, err := c.opts.Store.LastDigestEnd(ctx, destination)
	if err != nil {
		return nil, err
	}
	pages, _, err := c.build(ctx, p, last, c.opts.Now())
	return pages, err
}

// Run closes due periods now (catching up on any missed while ituwatch was
// not running), then as each ends, until ctx is done.
func (c *Closer) Run(ctx context.Context) error {
	for {
		_, next, err := c.CloseDue(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			c.opts.Logger.Error("closing digests failed; trying again in a minute", "error", err)
		}
		wait := maxWait
		if !next.IsZero() {
			if d := next.Sub(c.opts.Now()); d < wait {
				wait = d
			}
		}
		// Close just after the closing time, never just before it.
		wait += 10 * time.Millisecond
		if wait < 50*time.Millisecond {
			wait = 50 * time.Millisecond
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}
