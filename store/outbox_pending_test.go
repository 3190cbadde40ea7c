package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// TestPendingDeliveries: the dispatcher reads every pending delivery, due
// or not, in order, and nothing that is delivered or failed.
func TestPendingDeliveries(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, _ := openTest(t)
		ctx := context.Background()
		for i := range 5 {
			it := item("src", fmt.Sprint(i), fmt.Sprintf("item %d", i))
			mustSave(t, s, model.ItemSave{Item: it, Fingerprint: fmt.Sprint(i), Alert: alertFor(it, "new-ip"), Destinations: []string{"slack:#a"}})
		}
		all, err := s.PendingDeliveries(ctx, 100)
		if err != nil || len(all) != 5 {
			t.Fatalf("PendingDeliveries = %d, %v; want 5", len(all), err)
		}
		ids := func(ds []model.Delivery) []int64 {
			out := make([]int64, len(ds))
			for i, d := range ds {
				out[i] = d.ID
			}
			return out
		}
		later := t0.Add(10 * 365 * 24 * time.Hour)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.MarkRetry(ctx, all[0].ID, later, "timeout"))
		must(s.MarkHeld(ctx, all[1].ID, t0, later.Add(time.Hour), "invite the bot"))
		must(s.MarkDelivered(ctx, all[2].ID, "1700000000.000100", t0))
		must(s.MarkFailed(ctx, all[3].ID, "channel archived"))

		got, err := s.PendingDeliveries(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{all[0].ID, all[1].ID, all[4].ID}; fmt.Sprint(ids(got)) != fmt.Sprint(want) {
			t.Errorf("PendingDeliveries = %v, want %v: the retried, the held (far in the future) and the due one, in order", ids(got), want)
		}
		if due, _ := s.DueDeliveries(ctx, t0, 100); fmt.Sprint(ids(due)) != fmt.Sprint([]int64{all[4].ID}) {
			t.Errorf("DueDeliveries(now) = %v, want only %d", ids(due), all[4].ID)
		}
		if got, _ := s.PendingDeliveries(ctx, 2); len(got) != 2 || got[0].ID != all[0].ID {
			t.Errorf("PendingDeliveries(limit 2) = %v, want the oldest two", ids(got))
		}
	})
}
