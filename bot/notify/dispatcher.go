package notify

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
)

// Outbox is the dispatcher's view of the store: the deliveries owed and a way
// to record what became of each. *store.Store satisfies it.
type Outbox interface {
	PendingDeliveries(ctx context.Context, limit int) ([]model.Delivery, error)
	NextDue(ctx context.Context) (time.Time, bool, error)
	MarkDelivered(ctx context.Context, deliveryID int64, externalID string, at time.Time) error
	MarkRetry(ctx context.Context, deliveryID int64, next time.Time, reason string) error
	MarkFailed(ctx context.Context, deliveryID int64, reason string) error
	MarkHeld(ctx context.Context, deliveryID int64, since, next time.Time, reason string) error
	ThreadID(ctx context.Context, alertID int64, destination string) (string, error)
	Alert(ctx context.Context, id int64) (model.Alert, error)
}

// DispatcherOptions configure a Dispatcher; zero durations take the defaults.
type DispatcherOptions struct {
	Outbox      Outbox
	Notifiers   map[string]Notifier // by platform: "console", "slack", "matrix"
	Logger      *slog.Logger
	Now         func() time.Time
	BaseBackoff time.Duration // first retry after a transient failure; default 5s
	MaxBackoff  time.Duration // longest wait between retries; default 15m
	SendTimeout time.Duration // per Send; default 30s
	// HoldFor is how long deliveries wait for the bot to be let into a
	// channel or room that refused it as not a member, before they fail;
	// default DefaultHoldFor.
	HoldFor time.Duration
	// Leaser, when several instances share the outbox, leases each
	// delivery before it is sent; nil when this process is the only sender.
	Leaser Leaser
}

// Leaser leases a delivery to this process before it is sent; recording
// the outcome gives the lease back. ok is false while another process holds
// it; interrupted says that a lease taken before was never given back, so
// an earlier attempt may have reached the platform.
type Leaser interface {
	LeaseDelivery(ctx context.Context, deliveryID int64) (ok, interrupted bool, err error)
}

// leaseRecheck is how soon a destination whose next delivery another
// process holds is looked at again.
const leaseRecheck = 2 * time.Second

// DefaultHoldFor gives people a week to invite the bot: enough for a route
// set up on a Friday and noticed the next week.
const DefaultHoldFor = 7 * 24 * time.Hour

// maxHoldWait caps the wait between tries of a held destination, so that
// alerts go out within about a minute of the bot being let in.
const maxHoldWait = time.Minute

const (
	// scanLimit bounds one read of the outbox; a fuller outbox is worked
	// through in several passes.
	scanLimit = 500
	// maxParallelDestinations bounds how many destinations are sent to at
	// once; each destination is always sent to one delivery at a time.
	maxParallelDestinations = 4
	// idleRecheck makes Run look at the outbox now and then even without a
	// Wake, for deliveries written by another process (ituwatch once).
	idleRecheck = time.Minute
	// minWait stops Run from spinning if the clock and the store disagree.
	minWait = 100 * time.Millisecond
	// markTimeout bounds recording an outcome, which must happen even while
	// shutting down: a sent alert left pending would be sent twice.
	markTimeout    = 10 * time.Second
	maxReasonRunes = 500
)

// Dispatcher works the outbox: it hands each pending delivery to the
// Notifier of its platform and records the outcome. Deliveries to one
// destination go out one at a time in the order they were written, so that
// updates never arrive before what they update; a delivery waiting for a
// retry holds back the later ones to its destination but no other
// destination. A destination that refuses because the bot is not in it yet
// (Held) is held the same way, tried at most a minute apart, until it
// takes the deliveries or HoldFor has passed.
type Dispatcher struct {
	outbox      Outbox
	notifiers   map[string]Notifier
	log         *slog.Logger
	now         func() time.Time
	base, max   time.Duration
	sendTimeout time.Duration
	holdFor     time.Duration
	leaser      Leaser
	jitter      func() float64 // in [0,1); replaced in tests
	wake        chan struct{}
}

// NewDispatcher returns a dispatcher; call Run, or DeliverDue for one pass.
func NewDispatcher(opts DispatcherOptions) *Dispatcher {
	d := &Dispatcher{
		outbox:      opts.Outbox,
		notifiers:   opts.Notifiers,
		log:         opts.Logger,
		now:         opts.Now,
		base:        opts.BaseBackoff,
		max:         opts.MaxBackoff,
		sendTimeout: opts.SendTimeout,
		holdFor:     opts.HoldFor,
		leaser:      opts.Leaser,
		jitter:      rand.Float64,
		wake:        make(chan struct{}, 1),
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.base <= 0 {
		d.base = 5 * time.Second
	}
	if d.max <= 0 {
		d.max = 15 * time.Minute
	}
	if d.max < d.base {
		d.max = d.base
	}
	if d.sendTimeout <= 0 {
		d.sendTimeout = 30 * time.Second
	}
	if d.holdFor <= 0 {
		d.holdFor = DefaultHoldFor
	}
	return d
}

// Wake tells a running dispatcher that new deliveries were stored. It never
// blocks; wakes while a pass is running coalesce into one more pass.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers everything due, then sleeps until the next delivery falls
// due, a Wake, or ctx is done, and again. It returns nil when ctx is done.
func (d *Dispatcher) Run(ctx context.Context) error {
	storeFailures := 0
	for {
		res, err := d.pass(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := idleRecheck
		switch {
		case err != nil:
			// The store is unwell (disk full, locked): back off as for a
			// delivery, so the log is not flooded.
			d.log.Error("dispatcher pass failed", "error", err)
			wait = d.backoff(storeFailures)
			storeFailures++
		case res.more:
			storeFailures = 0
			continue
		default:
			storeFailures = 0
			now := d.now()
			if !res.next.IsZero() && res.next.Sub(now) < wait {
				wait = res.next.Sub(now)
			}
			// NextDue also counts deliveries held behind an earlier one,
			// which may already be due; only a future time is news.
			if t, ok, err := d.outbox.NextDue(ctx); err == nil && ok && t.After(now) && t.Sub(now) < wait {
				wait = t.Sub(now)
			}
		}
		if wait < minWait {
			wait = minWait
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-d.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// DeliverDue makes one pass over the outbox and returns how many deliveries
// were accepted by their platform.
func (d *Dispatcher) DeliverDue(ctx context.Context) (int, error) {
	res, err := d.pass(ctx)
	return res.delivered, err
}

type passResult struct {
	delivered int
	next      time.Time // earliest time a held destination falls due; zero if none
	more      bool      // the outbox had more than one read holds and this pass made progress
}

type outcome int

const (
	outcomeDelivered outcome = iota
	outcomeFailed            // permanent: recorded, later deliveries go on
	outcomeRetry             // recorded for later, later deliveries wait
	outcomeHeld              // the bot is not in the destination yet: as retry
	outcomeStopped           // shutting down or the store failed: nothing recorded
	outcomeBusy              // another process holds the lease: nothing recorded, later deliveries wait
)

func (d *Dispatcher) pass(ctx context.Context) (passResult, error) {
	var res passResult
	now := d.now()
	// Read every pending delivery, not only the due ones: a later delivery
	// may be due while an earlier one to the same destination waits for its
	// retry, and it must wait too. Asking the store survives restarts,
	// unlike a memory of which destinations are held.
	pending, err := d.outbox.PendingDeliveries(ctx, scanLimit)
	if err != nil {
		return res, fmt.Errorf("read the outbox: %w", err)
	}
	truncated := len(pending) >= scanLimit

	queues := map[string][]model.Delivery{}
	var dests []string
	for _, dl := range pending {
		if _, ok := queues[dl.Destination]; !ok {
			dests = append(dests, dl.Destination)
		}
		queues[dl.Destination] = append(queues[dl.Destination], dl)
	}

	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
		progress int
	)
	sem := make(chan struct{}, maxParallelDestinations)
	alerts := &alertCache{outbox: d.outbox, alerts: map[int64]model.Alert{}}
	for _, dest := range dests {
		q := queues[dest]
		sort.Slice(q, func(i, j int) bool { return q[i].ID < q[j].ID })
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			delivered, handled, next, err := d.drain(ctx, q, now, alerts)
			mu.Lock()
			defer mu.Unlock()
			res.delivered += delivered
			progress += handled
			if !next.IsZero() && (res.next.IsZero() || next.Before(res.next)) {
				res.next = next
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	res.more = truncated && progress > 0
	return res, firstErr
}

// drain sends one destination's deliveries in order until one has to wait.
// It returns how many were delivered, how many were settled either way, when
// the destination's next delivery falls due (zero if none is left), and a
// store error, if recording an outcome failed.
func (d *Dispatcher) drain(ctx context.Context, q []model.Delivery, now time.Time, alerts *alertCache) (delivered, handled int, next time.Time, err error) {
	// refusal is set once the destination refused as "bot not in it" in
	// this pass; the deliveries after one whose hold ran out are then held
	// or given up without asking the platform again.
	var refusal *hold
	for _, dl := range q {
		if ctx.Err() != nil {
			return delivered, handled, time.Time{}, nil
		}
		if dl.NextAttempt.After(now) {
			return delivered, handled, dl.NextAttempt, nil
		}
		var (
			out     outcome
			retryAt time.Time
			err     error
		)
		if refusal != nil {
			out, retryAt, err = d.hold(ctx, d.logFor(dl), dl, *refusal)
		} else {
			out, retryAt, err = d.deliver(ctx, dl, alerts, &refusal)
		}
		switch out {
		case outcomeDelivered:
			delivered++
			handled++
		case outcomeFailed:
			handled++
		case outcomeRetry, outcomeHeld:
			handled++
			return delivered, handled, retryAt, nil
		case outcomeBusy:
			return delivered, handled, retryAt, nil
		case outcomeStopped:
			return delivered, handled, time.Time{}, err
		}
	}
	return delivered, handled, time.Time{}, nil
}

func (d *Dispatcher) logFor(dl model.Delivery) *slog.Logger {
	return d.log.With("delivery", dl.ID, "alert", dl.AlertID, "destination", dl.Destination, "attempt", dl.Attempts+1)
}

// deliver makes one attempt at one delivery and records the outcome. When
// the destination refuses because the bot is not in it, *refusal is set.
func (d *Dispatcher) deliver(ctx context.Context, dl model.Delivery, alerts *alertCache, refusal **hold) (outcome, time.Time, error) {
	log := d.logFor(dl)

	dest, err := model.ParseDestination(dl.Destination)
	if err != nil {
		return d.fail(ctx, log, dl, err.Error())
	}
	n, ok := d.notifiers[dest.Platform]
	if !ok || n == nil {
		return d.fail(ctx, log, dl, fmt.Sprintf("no %s account configured; add a %s section to the config", dest.Platform, dest.Platform))
	}
	alert, err := alerts.get(ctx, dl.AlertID)
	if err != nil {
		if ctx.Err() != nil {
			return outcomeStopped, time.Time{}, nil
		}
		return d.retry(ctx, log, dl, fmt.Errorf("load alert %d: %w", dl.AlertID, err))
	}
	var thread string
	if alert.ParentID != 0 {
		thread, err = d.outbox.ThreadID(ctx, alert.ParentID, dl.Destination)
		if err != nil {
			if ctx.Err() != nil {
				return outcomeStopped, time.Time{}, nil
			}
			return d.retry(ctx, log, dl, fmt.Errorf("find the thread of alert %d: %w", alert.ParentID, err))
		}
	}
	msg := Outgoing{
		DeliveryID: dl.ID,
		Alert:      alert,
		Target:     dest.Target,
		ThreadID:   thread,
		Attempt:    dl.Attempts + 1,
		Explained:  d.explainedToday(ctx, log, dl.Destination),
	}
	if d.leaser != nil {
		ok, interrupted, err := d.leaser.LeaseDelivery(ctx, dl.ID)
		if err != nil {
			if ctx.Err() != nil {
				return outcomeStopped, time.Time{}, nil
			}
			return outcomeStopped, time.Time{}, fmt.Errorf("lease delivery %d: %w", dl.ID, err)
		}
		if !ok {
			log.Debug("another instance is sending this delivery")
			return outcomeBusy, d.now().Add(leaseRecheck), nil
		}
		msg.Interrupted = interrupted
	}
	externalID, err := d.send(ctx, dest.Platform, n, msg)
	if err == nil {
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
		defer cancel()
		if err := d.outbox.MarkDelivered(mctx, dl.ID, externalID, d.now()); err != nil {
			// The platform has it; if this is lost the alert goes out again,
			// which adapters deduplicate by delivery id where they can.
			log.Error("delivered but could not record it", "error", err)
			return outcomeStopped, time.Time{}, fmt.Errorf("record delivery %d as delivered: %w", dl.ID, err)
		}
		log.Info("alert delivered")
		return outcomeDelivered, time.Time{}, nil
	}
	if ctx.Err() != nil {
		// Shutting down: the attempt did not count; the delivery stays
		// pending and goes out after the restart.
		return outcomeStopped, time.Time{}, nil
	}
	if IsHeld(err) {
		h := hold{since: dl.HeldSince, reason: err.Error()}
		if h.since.IsZero() {
			h.since = d.now()
		}
		*refusal = &h
		return d.hold(ctx, log, dl, h)
	}
	if IsPermanent(err) {
		return d.fail(ctx, log, dl, err.Error())
	}
	return d.retry(ctx, log, dl, err)
}

// send calls the notifier with a deadline; a panic in an adapter costs one
// attempt, not the dispatcher.
func (d *Dispatcher) send(ctx context.Context, platform string, n Notifier, msg Outgoing) (externalID string, err error) {
	ctx, cancel := context.WithTimeout(ctx, d.sendTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			d.log.Error("notifier panicked", "platform", platform, "delivery", msg.DeliveryID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			externalID = ""
			err = fmt.Errorf("the %s notifier crashed (%v); this is a bug in ituwatch, please report it", platform, r)
		}
	}()
	return n.Send(ctx, msg)
}

func (d *Dispatcher) fail(ctx context.Context, log *slog.Logger, dl model.Delivery, reason string) (outcome, time.Time, error) {
	reason = render.Clip(reason, maxReasonRunes)
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	if err := d.outbox.MarkFailed(mctx, dl.ID, reason); err != nil {
		return outcomeStopped, time.Time{}, fmt.Errorf("record delivery %d as failed: %w", dl.ID, err)
	}
	log.Warn("delivery failed for good", "reason", reason)
	return outcomeFailed, time.Time{}, nil
}

func (d *Dispatcher) retry(ctx context.Context, log *slog.Logger, dl model.Delivery, cause error) (outcome, time.Time, error) {
	wait, asked := RetryAfter(cause)
	if !asked || wait <= 0 {
		wait = d.backoff(dl.Attempts)
	}
	next := d.now().Add(wait)
	reason := render.Clip(cause.Error(), maxReasonRunes)
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	if err := d.outbox.MarkRetry(mctx, dl.ID, next, reason); err != nil {
		return outcomeStopped, time.Time{}, fmt.Errorf("record delivery %d for retry: %w", dl.ID, err)
	}
	log.Warn("delivery will be retried", "retry_in", wait.Round(time.Second).String(), "reason", reason)
	return outcomeRetry, next, nil
}

// backoff is base·2^attempts capped at max, with "equal jitter": at least
// half the step, so that many deliveries failing together do not retry
// together, yet none retries much sooner than planned.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	step := d.base
	for i := 0; i < attempts && step < d.max; i++ {
		step *= 2
	}
	if step > d.max {
		step = d.max
	}
	half := step / 2
	return half + time.Duration(d.jitter()*float64(step-half))
}

// alertCache loads each alert once per pass; one alert usually goes to
// several destinations.
type alertCache struct {
	outbox Outbox
	mu     sync.Mutex
	alerts map[int64]model.Alert
}

func (c *alertCache) get(ctx context.Context, id int64) (model.Alert, error) {
	c.mu.Lock()
	a, ok := c.alerts[id]
	c.mu.Unlock()
	if ok {
		return a, nil
	}
	a, err := c.outbox.Alert(ctx, id)
	if err != nil {
		return model.Alert{}, err
	}
	c.mu.Lock()
	c.alerts[id] = a
	c.mu.Unlock()
	return a, nil
}
