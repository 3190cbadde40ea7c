package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

func TestHeldDeliveries(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, _ := openTest(t)
		ctx := context.Background()
		for i := range 3 {
			it := item("src", fmt.Sprint(i), fmt.Sprintf("item %d", i))
			mustSave(t, s, model.ItemSave{Item: it, Fingerprint: "f", Alert: alertFor(it, "new-ip"), Destinations: []string{"slack:#a", "console"}})
		}
		due, err := s.DueDeliveries(ctx, t0, 100)
		if err != nil || len(due) != 6 {
			t.Fatalf("DueDeliveries = %d, %v", len(due), err)
		}
		head := due[0]
		if head.Destination != "slack:#a" || !head.HeldSince.IsZero() {
			t.Fatalf("first delivery %+v, want slack:#a, not held", head)
		}

		since, next := t0.Add(time.Minute), t0.Add(2*time.Minute)
		if err := s.MarkHeld(ctx, head.ID, since, next, "the bot is not in #a yet: invite it"); err != nil {
			t.Fatal(err)
		}
		due, _ = s.DueDeliveries(ctx, next, 100)
		if got := due[0]; got.ID != head.ID || !got.HeldSince.Equal(since) || !got.NextAttempt.Equal(next) || got.Attempts != 0 || got.LastError == "" {
			t.Errorf("held delivery reads back as %+v; want held since %v, next %v, attempts 0, the reason", got, since, next)
		}
		st := statusOf(t, s, "slack:#a")
		if st.Pending != 3 || !st.HeldSince.Equal(since) || st.HeldReason != "the bot is not in #a yet: invite it" {
			t.Errorf("status of the held destination: %+v", st)
		}
		if c := statusOf(t, s, "console"); !c.HeldSince.IsZero() || c.HeldReason != "" {
			t.Errorf("console shown as held: %+v", c)
		}

		// Delivered: the destination is no longer held, though the row keeps
		// when its hold began.
		if err := s.MarkDelivered(ctx, head.ID, "ts", next); err != nil {
			t.Fatal(err)
		}
		if st := statusOf(t, s, "slack:#a"); st.Pending != 2 || !st.HeldSince.IsZero() || st.HeldReason != "" {
			t.Errorf("after the held one went out: %+v; want 2 pending, not held", st)
		}
		if err := s.MarkHeld(ctx, head.ID, since, next, "x"); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("MarkHeld on a delivered delivery = %v, want model.ErrNotFound", err)
		}
	})
}

func statusOf(t *testing.T, s *Store, dest string) model.DestinationStatus {
	t.Helper()
	all, err := s.DestinationStatuses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range all {
		if d.Destination == dest {
			return d
		}
	}
	t.Fatalf("no destination %s", dest)
	return model.DestinationStatus{}
}
