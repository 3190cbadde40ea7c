package notify

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
)

// hold is a destination refusing because the bot is not in it: since when,
// and the platform's explanation.
type hold struct {
	since  time.Time
	reason string
}

// hold keeps dl pending behind a destination that refused as "bot not in
// it", to be tried again at most maxHoldWait later, or fails it once it has
// been held for holdFor. A delivery written after the hold began is held
// from when it was written.
func (d *Dispatcher) hold(ctx context.Context, log *slog.Logger, dl model.Delivery, h hold) (outcome, time.Time, error) {
	since := dl.HeldSince
	if since.IsZero() {
		since = h.since
		if dl.CreatedAt.After(since) {
			since = dl.CreatedAt
		}
	}
	now := d.now()
	held := now.Sub(since)
	if held >= d.holdFor {
		return d.fail(ctx, log, dl, fmt.Sprintf("not sent: held for %s waiting for the refusal to be fixed, then given up (delivery.hold_for): %s", humanDuration(d.holdFor), h.reason))
	}
	// The first tries come quickly (people invite the bot right after
	// starting it), then a minute apart; the wait follows from how long the
	// destination has been held, so a restart keeps the pace.
	wait := min(max(held, d.base), maxHoldWait)
	next := now.Add(wait)
	reason := render.Clip(h.reason, maxReasonRunes)
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	if err := d.outbox.MarkHeld(mctx, dl.ID, since, next, reason); err != nil {
		return outcomeStopped, time.Time{}, fmt.Errorf("record delivery %d as held: %w", dl.ID, err)
	}
	if dl.HeldSince.IsZero() {
		log.Warn("delivery held until someone fixes the refusal", "reason", reason, "gives_up_at", since.Add(d.holdFor).Format(time.RFC3339))
	} else {
		log.Debug("destination still refuses the bot", "held_for", held.Round(time.Second).String(), "retry_in", wait.Round(time.Second).String())
	}
	return outcomeHeld, next, nil
}

// humanDuration writes whole days as days ("7 days"), anything else as Go does.
func humanDuration(t time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case t == day:
		return "1 day"
	case t%day == 0:
		return fmt.Sprintf("%d days", t/day)
	}
	return t.String()
}
