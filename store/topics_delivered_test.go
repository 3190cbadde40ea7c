package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

func TestTopicsDelivered(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, _ := openTest(t)
		ctx := context.Background()
		save := func(id string, topics []string, dests ...string) int64 {
			it := item("src", id, "t "+id)
			return mustSave(t, s, model.ItemSave{Item: it, Fingerprint: it.Fingerprint(), Alert: alertFor(it, topics...), Destinations: dests})
		}
		deliver := func(alertID int64, dest string, at time.Time) {
			var dl int64
			if err := s.r.QueryRowContext(ctx, `SELECT id FROM deliveries WHERE alert_id = ? AND destination = ?`, alertID, dest).Scan(&dl); err != nil {
				t.Fatal(err)
			}
			if err := s.MarkDelivered(ctx, dl, "x", at); err != nil {
				t.Fatal(err)
			}
		}
		midnight := time.Date(t0.Year(), t0.Month(), t0.Day(), 0, 0, 0, 0, time.UTC)

		yesterday := save("a", []string{"ott"}, "slack:C1")
		deliver(yesterday, "slack:C1", midnight.Add(-time.Minute))
		today := save("b", []string{"new-ip", "mandate-creep"}, "slack:C1", "slack:C2")
		deliver(today, "slack:C1", midnight.Add(time.Hour))
		save("c", []string{"dns"}, "slack:C1") // pending: not shown yet

		got, err := s.TopicsDelivered(ctx, "slack:C1", midnight)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != "map[mandate-creep:true new-ip:true]" {
			t.Errorf("TopicsDelivered(C1) = %v, want new-ip and mandate-creep", got)
		}
		if got, err := s.TopicsDelivered(ctx, "slack:C2", midnight); err != nil || len(got) != 0 {
			t.Errorf("TopicsDelivered(C2) = %v, %v; want none (nothing delivered there)", got, err)
		}
	})
}

// BenchmarkTopicsDelivered: the query the dispatcher makes before every
// send, on a destination with a year of history (500 alerts a day).
func BenchmarkTopicsDelivered(b *testing.B) {
	s, _ := openTest(b)
	ctx := context.Background()
	const days, perDay = 365, 500
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	start := t0.AddDate(0, 0, -days)
	for i := range days * perDay {
		when := start.Add(time.Duration(i) * (24 * time.Hour / perDay))
		it := item("src", fmt.Sprint("i", i), "t")
		rowID, err := upsertItem(ctx, tx, &it, it.Fingerprint(), 0, when)
		if err != nil {
			b.Fatal(err)
		}
		id, err := insertAlert(ctx, tx, rowID, alertFor(it, benchTopics[i%len(benchTopics)]), it, when)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (alert_id, destination, status, attempts, created_at, delivered_at, external_id)
			VALUES (?, 'slack:C1', 'delivered', 1, ?, ?, 'ts')`, id, when.UnixNano(), when.UnixNano()); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	midnight := time.Date(t0.Year(), t0.Month(), t0.Day(), 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for b.Loop() {
		got, err := s.TopicsDelivered(ctx, "slack:C1", midnight)
		if err != nil || len(got) == 0 {
			b.Fatalf("%v, %v", got, err)
		}
	}
}
