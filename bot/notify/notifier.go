// Package notify delivers alerts: the Dispatcher works the store's outbox,
// handing each delivery to the Notifier of its platform (bot/slack,
// bot/matrix, or the ConsoleNotifier here) and recording what became of
// it. Notifiers tell it what to do next with their errors: Permanent, Held
// or RetryAfter; anything else is retried with backoff.
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// Notifier delivers one alert to one target on its platform.
type Notifier interface {
	// Send posts msg and returns the platform's id for the posted message
	// (Slack ts, Matrix event id), which later updates thread under.
	Send(ctx context.Context, msg Outgoing) (externalID string, err error)
}

// Outgoing is one delivery handed to a Notifier.
type Outgoing struct {
	DeliveryID int64
	Alert      model.Alert
	Target     string // channel or room, without the platform prefix
	// ThreadID is the external id of the first alert of the same item or story
	// at the same target, when this alert is an update of it; empty otherwise.
	ThreadID string
	// Attempt counts from 1; adapters that can deduplicate a retried send
	// (Matrix transaction ids, Slack metadata) use DeliveryID for that.
	Attempt int
	// Interrupted is set when an earlier attempt, perhaps by another
	// instance that was killed, may have reached the platform without being
	// recorded: adapters check for it as for a retry.
	Interrupted bool
	// Explained holds the topics whose "why it matters" this target was
	// already shown in full today (UTC); adapters show a one-line reference
	// to the explain command instead of repeating the paragraph.
	Explained map[string]bool
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying (channel not found, not invited,
// invalid credentials): the delivery is recorded as failed with the reason.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// RetryAfterError asks the dispatcher to wait before the next attempt, as a
// platform's rate limit says.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.After, e.Err)
}
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns the wait a RetryAfterError in err's chain asks for.
func RetryAfter(err error) (time.Duration, bool) {
	var r *RetryAfterError
	if errors.As(err, &r) {
		return r.After, true
	}
	return 0, false
}

// heldError marks a refusal that lasts only until people act: the bot has
// not been invited to the channel or room yet, may not post there yet, or
// its token was revoked and awaits a new one.
type heldError struct{ err error }

func (e *heldError) Error() string { return e.err.Error() }
func (e *heldError) Unwrap() error { return e.err }

// Held marks err as a refusal that people can fix (invite the bot, raise its
// power level, renew its token). The dispatcher holds the destination's
// deliveries, in order, and tries again now and then until the refusal ends
// or the hold runs out. err's message is shown in status and should say
// what to do, e.g. whom to invite where.
func Held(err error) error {
	if err == nil {
		return nil
	}
	return &heldError{err: err}
}

// IsHeld reports whether err, or an error it wraps, was marked Held.
func IsHeld(err error) bool {
	var n *heldError
	return errors.As(err, &n)
}
