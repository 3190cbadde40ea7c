package notify

import (
	"context"
	"log/slog"
	"time"
)

// topicsShown is what an Outbox may also know: the topics of the alerts
// delivered to a destination since a time. *store.Store has it. An outbox
// without it gets every "why it matters" paragraph in full.
type topicsShown interface {
	TopicsDelivered(ctx context.Context, destination string, since time.Time) (map[string]bool, error)
}

// explainedToday returns the topics whose "why it matters" the destination
// was already shown in full today (UTC): those of the alerts delivered to it
// since midnight, the first of which carried the paragraph. Asking the
// store at send time keeps this right across restarts and for any number of
// destinations. When the store cannot tell, the paragraph goes out in full:
// repeating it is better than losing it.
func (d *Dispatcher) explainedToday(ctx context.Context, log *slog.Logger, destination string) map[string]bool {
	ts, ok := d.outbox.(topicsShown)
	if !ok {
		return nil
	}
	now := d.now().UTC()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	topics, err := ts.TopicsDelivered(ctx, destination, midnight)
	if err != nil {
		log.Warn("could not tell which topics were explained today; sending why it matters in full", "error", err)
		return nil
	}
	return topics
}
