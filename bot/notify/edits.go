package notify

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
)

// An edit is not an alert: it changes a message people already have, to
// show who is on it. Edits are kept in the store (model.PendingEdit) until
// the platform accepts them, so a claim made while Slack or the homeserver
// is down shows once it is back, also after a restart. An edit renders the
// claim as it stands when it is made, so it is idempotent: making one twice
// is harmless, and several changes fold into one edit.

// Editor changes a posted alert message on its platform.
type Editor interface {
	Edit(ctx context.Context, e Edit) error
}

// Edit is one posted alert message to show again with its claim.
type Edit struct {
	Alert      model.Alert
	Claim      *model.AlertClaim // nil: nobody is on it (unclaimed)
	Target     string            // channel or room, without the platform prefix
	ExternalID string            // the posted message: Slack ts, Matrix event id
	DeliveryID int64
}

// EditOutbox is the edit worker's view of the store; *store.Store
// satisfies it.
type EditOutbox interface {
	DueEdits(ctx context.Context, now time.Time, limit int) ([]model.PendingEdit, error)
	NextEdit(ctx context.Context) (time.Time, bool, error)
	EditDone(ctx context.Context, deliveryID, version int64) error
	EditRetry(ctx context.Context, deliveryID, version int64, next time.Time, reason string) error
	Alert(ctx context.Context, id int64) (model.Alert, error)
	AlertClaim(ctx context.Context, alertID int64) (model.AlertClaim, bool, error)
}

// EditWorkerOptions configure an EditWorker; zero durations take defaults.
type EditWorkerOptions struct {
	Outbox  EditOutbox
	Editors map[string]Editor // by platform; a platform without one has nothing to edit
	Logger  *slog.Logger
	Now     func() time.Time
	// GiveUpAfter drops an edit that kept failing this long after it was
	// asked for; default DefaultHoldFor. The alert itself is unaffected.
	GiveUpAfter time.Duration
	BaseBackoff time.Duration // default 5s
	MaxBackoff  time.Duration // default 15m
}

// EditWorker makes the edits the store owes, one at a time.
type EditWorker struct {
	o      EditWorkerOptions
	wake   chan struct{}
	jitter func() float64
}

const editScan = 100

// NewEditWorker returns a worker; call Run, or EditDue for one pass.
func NewEditWorker(o EditWorkerOptions) *EditWorker {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.GiveUpAfter <= 0 {
		o.GiveUpAfter = DefaultHoldFor
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 5 * time.Second
	}
	if o.MaxBackoff < o.BaseBackoff {
		o.MaxBackoff = max(15*time.Minute, o.BaseBackoff)
	}
	return &EditWorker{o: o, wake: make(chan struct{}, 1), jitter: rand.Float64}
}

// Wake tells a running worker a claim changed. It never blocks.
func (w *EditWorker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run makes due edits until ctx ends, sleeping until the next falls due, a
// Wake, or a minute (edits of messages posted meanwhile by the dispatcher).
func (w *EditWorker) Run(ctx context.Context) error {
	for {
		if _, err := w.EditDue(ctx); err != nil && ctx.Err() == nil {
			w.o.Logger.Error("edit pass failed", "error", err)
		}
		wait := idleRecheck
		if t, ok, err := w.o.Outbox.NextEdit(ctx); err == nil && ok {
			wait = min(wait, max(t.Sub(w.o.Now()), minWait))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-w.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// EditDue makes every due edit once and returns how many were accepted.
func (w *EditWorker) EditDue(ctx context.Context) (int, error) {
	due, err := w.o.Outbox.DueEdits(ctx, w.o.Now(), editScan)
	if err != nil {
		return 0, fmt.Errorf("read the edits owed: %w", err)
	}
	made := 0
	for _, e := range due {
		if ctx.Err() != nil {
			return made, nil
		}
		ok, err := w.edit(ctx, e)
		if err != nil {
			return made, err
		}
		if ok {
			made++
		}
	}
	return made, nil
}

// edit makes one edit and records the outcome; an error is the store's.
func (w *EditWorker) edit(ctx context.Context, pe model.PendingEdit) (bool, error) {
	log := w.o.Logger.With("alert", pe.AlertID, "delivery", pe.DeliveryID, "destination", pe.Destination, "attempt", pe.Attempts+1)
	forget := func(made bool, why string) (bool, error) {
		if why != "" {
			log.Warn("alert message not edited", "reason", why)
		}
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
		defer cancel()
		return made, w.o.Outbox.EditDone(mctx, pe.DeliveryID, pe.Version)
	}
	done := func(why string) (bool, error) { return forget(false, why) }
	if pe.ExternalID == "" {
		return done("") // never posted there, or printed: nothing to edit
	}
	dest, err := model.ParseDestination(pe.Destination)
	if err != nil {
		return done(err.Error())
	}
	ed, ok := w.o.Editors[dest.Platform]
	if !ok || ed == nil {
		return done("") // the console prints; a printed line stays as it is
	}
	if w.o.Now().Sub(pe.Requested) > w.o.GiveUpAfter {
		return done(fmt.Sprintf("gave up after %s of failures", w.o.GiveUpAfter))
	}
	alert, err := w.o.Outbox.Alert(ctx, pe.AlertID)
	if err != nil {
		return false, fmt.Errorf("load alert %d to edit: %w", pe.AlertID, err)
	}
	var claim *model.AlertClaim
	if c, ok, err := w.o.Outbox.AlertClaim(ctx, pe.AlertID); err != nil {
		return false, err
	} else if ok {
		claim = &c
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = ed.Edit(sctx, Edit{Alert: alert, Claim: claim, Target: dest.Target, ExternalID: pe.ExternalID, DeliveryID: pe.DeliveryID})
	cancel()
	if err == nil {
		log.Info("alert message edited")
		return forget(true, "")
	}
	if ctx.Err() != nil {
		return false, nil // shutting down: the edit stays owed
	}
	if IsPermanent(err) {
		return done(render.Clip(err.Error(), maxReasonRunes))
	}
	wait, asked := RetryAfter(err)
	if !asked || wait <= 0 {
		step := w.o.BaseBackoff
		for i := 0; i < pe.Attempts && step < w.o.MaxBackoff; i++ {
			step *= 2
		}
		step = min(step, w.o.MaxBackoff)
		wait = step/2 + time.Duration(w.jitter()*float64(step/2))
	}
	reason := render.Clip(err.Error(), maxReasonRunes)
	log.Warn("alert message edit will be retried", "retry_in", wait.Round(time.Second).String(), "reason", reason)
	mctx, mcancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer mcancel()
	return false, w.o.Outbox.EditRetry(mctx, pe.DeliveryID, pe.Version, w.o.Now().Add(wait), reason)
}
