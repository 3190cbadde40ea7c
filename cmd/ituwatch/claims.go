package main

import (
	"context"
	"time"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

func init() {
	knownCommands = append(knownCommands, "claim", "unclaim", "done", "notes")
}

// claimingStore is the store as the router sees it: a claim, once stored,
// wakes the edit worker, so the alert's messages show it within moments.
type claimingStore struct {
	*store.Store
	wake func()
}

func (s claimingStore) SetClaim(ctx context.Context, c model.AlertClaim) (model.AlertClaim, bool, error) {
	prev, had, err := s.Store.SetClaim(ctx, c)
	if err == nil {
		s.wake()
	}
	return prev, had, err
}

func (s claimingStore) ClearClaim(ctx context.Context, alertID int64, at time.Time) (model.AlertClaim, bool, error) {
	removed, had, err := s.Store.ClearClaim(ctx, alertID, at)
	if err == nil && had {
		s.wake()
	}
	return removed, had, err
}

// editors are the platforms whose posted alerts can be edited.
func (a *app) editors() map[string]notify.Editor {
	eds := map[string]notify.Editor{}
	if a.slack != nil {
		eds["slack"] = a.slack
	}
	if a.matrix != nil {
		eds["matrix"] = a.matrix
	}
	return eds
}

// Edit implements notify.Editor; like Send, a failed login is retried.
func (l *lazyMatrix) Edit(ctx context.Context, e notify.Edit) error {
	c, err := l.get(ctx)
	if err != nil {
		return err
	}
	return c.Edit(ctx, e)
}

// The listeners find notes and reactions through the handler they are
// given; the counted handler passes them to the router.
var _ chat.AlertMessages = countingHandler{}

func (h countingHandler) TakeNote(ctx context.Context, n model.NoteReply) (int64, error) {
	if am, ok := h.next.(chat.AlertMessages); ok {
		return am.TakeNote(ctx, n)
	}
	return 0, nil
}

func (h countingHandler) AlertOfMessage(ctx context.Context, platform, externalID string) (int64, error) {
	if am, ok := h.next.(chat.AlertMessages); ok {
		return am.AlertOfMessage(ctx, platform, externalID)
	}
	return 0, nil
}
