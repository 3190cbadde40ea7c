package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

func digestPage(alertID int64, page, pages int) model.Alert {
	return model.Alert{Kind: model.AlertDigest, Item: model.Item{SourceID: "digest", Title: "Digest"}, Digest: &model.Digest{
		Destination: "slack:#d", Schedule: "daily", Page: page, Pages: pages, Alerts: 2,
		Topics: []model.DigestTopic{{Topic: "new-ip", Alerts: 2, Stories: []model.DigestStory{{AlertID: alertID, Title: "t"}}}},
	}}
}

func TestDigestOwedClosedOnce(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		ctx := context.Background()
		s, clock := openTest(t)
		a1 := mustSave(t, s, model.ItemSave{Item: item("src", "1", "one"), Alert: alertFor(item("src", "1", "one"), "new-ip"),
			Destinations: []string{"console"}, DigestDestinations: []string{"slack:#d"}})
		clock.Set(t0.Add(time.Minute))
		a2 := mustSave(t, s, model.ItemSave{Item: item("src", "2", "two"), Alert: alertFor(item("src", "2", "two"), "ott", "new-ip"),
			DigestDestinations: []string{"slack:#d"}})

		// Owed to the digest, not queued for sending.
		due, err := s.PendingDeliveries(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) != 1 || due[0].Destination != "console" || due[0].AlertID != a1 {
			t.Fatalf("pending deliveries = %+v, want only alert %d to console", due, a1)
		}
		entries, err := s.OpenDigestEntries(ctx, "slack:#d", t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 || entries[0].AlertID != a1 || entries[1].AlertID != a2 {
			t.Fatalf("open entries = %+v, want alerts %d, %d", entries, a1, a2)
		}
		if got := entries[1].Matches; len(got) != 2 || got[0].Topic != "ott" || got[1].Topic != "new-ip" || got[0].Severity != model.SeverityHigh {
			t.Errorf("matches of the second entry = %+v", got)
		}
		if e, _ := s.OpenDigestEntries(ctx, "slack:#d", t0); len(e) != 1 {
			t.Errorf("entries until t0 = %d, want 1 (the later one is not in the period)", len(e))
		}

		end := t0.Add(time.Hour)
		pages := []model.Alert{digestPage(a2, 1, 2), digestPage(a1, 2, 2)}
		ids, err := s.CloseDigest(ctx, "slack:#d", time.Time{}, end, pages, []int64{a1, a2})
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 2 {
			t.Fatalf("page ids = %v", ids)
		}
		second, err := s.Alert(ctx, ids[1])
		if err != nil {
			t.Fatal(err)
		}
		if second.Kind != model.AlertDigest || second.ParentID != ids[0] || second.Digest == nil || second.Digest.Page != 2 {
			t.Errorf("second page = %+v, want a digest page threaded under %d", second, ids[0])
		}
		due, _ = s.PendingDeliveries(ctx, 100)
		if len(due) != 3 || due[1].AlertID != ids[0] || due[2].AlertID != ids[1] || due[2].Destination != "slack:#d" {
			t.Errorf("pending after close = %+v, want both pages queued to slack:#d in order", due)
		}
		if e, _ := s.OpenDigestEntries(ctx, "slack:#d", end.Add(time.Hour)); len(e) != 0 {
			t.Errorf("entries still open after the close: %+v", e)
		}
		if last, _ := s.LastDigestEnd(ctx, "slack:#d"); !last.Equal(end) {
			t.Errorf("LastDigestEnd = %v, want %v", last, end)
		}
		if recent, _ := s.RecentAlerts(ctx, "", 10); len(recent) != 2 {
			t.Errorf("recent lists %d alerts, want the 2 alerts, not the digest pages", len(recent))
		}

		// The same period again: refused, nothing written.
		if _, err := s.CloseDigest(ctx, "slack:#d", time.Time{}, end, []model.Alert{digestPage(a1, 1, 1)}, []int64{a1}); !errors.Is(err, ErrDigestClosed) {
			t.Fatalf("second close of the period: err = %v, want ErrDigestClosed", err)
		}
		if due, _ = s.PendingDeliveries(ctx, 100); len(due) != 3 {
			t.Errorf("pending after a refused close = %d, want 3", len(due))
		}
	})
}

func TestDigestEmptyPeriodAndMuted(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := openTest(t)
		end := t0.Add(24 * time.Hour)
		if _, err := s.CloseDigest(ctx, "matrix:!r:x", time.Time{}, end, nil, nil); err != nil {
			t.Fatal(err)
		}
		if last, _ := s.LastDigestEnd(ctx, "matrix:!r:x"); !last.Equal(end) {
			t.Errorf("an empty period is not recorded: last end %v", last)
		}
		if due, _ := s.PendingDeliveries(ctx, 10); len(due) != 0 {
			t.Errorf("an empty period queued %d deliveries", len(due))
		}

		// Muted matches are deliveries with status "muted" (stored by the mute
		// feature); the CHECK of this schema does not know that status yet.
		a := mustSave(t, s, model.ItemSave{Item: item("src", "m", "muted"), Alert: alertFor(item("src", "m", "muted"), "ott")})
		db := s.DB()
		if s.pg { // the adapters' pool takes Postgres's own $n parameters
			db = s.w
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if !s.pg { // no such pragma on Postgres, whose CHECK allows "muted" (0009)
			if _, err := conn.ExecContext(ctx, `PRAGMA ignore_check_constraints = ON`); err != nil {
				t.Fatal(err)
			}
		}
		for _, at := range []time.Time{t0.Add(time.Hour), t0.Add(2 * time.Hour), end.Add(time.Hour)} {
			if _, err := conn.ExecContext(ctx, `INSERT INTO deliveries (alert_id, destination, status, created_at) VALUES (?, 'matrix:!r:x', 'muted', ?)`, a, at.UnixNano()); err != nil {
				t.Fatal(err)
			}
			a = mustSave(t, s, model.ItemSave{Item: item("src", at.String(), "muted"), Alert: alertFor(item("src", at.String(), "m"), "ott")})
		}
		n, err := s.MutedCount(ctx, "matrix:!r:x", t0, end)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("MutedCount = %d, want 2 (the third is after the period)", n)
		}
	})
}

func TestChannelDigests(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		ctx := context.Background()
		s, _ := openTest(t)
		if _, ok, err := s.ChannelDigest(ctx, "slack:C1"); ok || err != nil {
			t.Fatalf("ChannelDigest before any = %v, %v", ok, err)
		}
		if err := s.SetChannelDigest(ctx, model.ChannelDigest{Destination: "slack:C1", Schedule: "daily", Timezone: "Europe/Geneva", Topics: []string{"new-ip"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetChannelDigest(ctx, model.ChannelDigest{Destination: "slack:C1", Schedule: "weekly"}); err != nil {
			t.Fatal(err)
		}
		cd, ok, err := s.ChannelDigest(ctx, "slack:C1")
		if err != nil || !ok || cd.Schedule != "weekly" || cd.Timezone != "" || len(cd.Topics) != 0 {
			t.Errorf("ChannelDigest after a change = %+v, %v, %v; want weekly for every topic", cd, ok, err)
		}
		if all, _ := s.ChannelDigests(ctx); len(all) != 1 {
			t.Errorf("ChannelDigests = %+v", all)
		}
		if removed, err := s.RemoveChannelDigest(ctx, "slack:C1"); !removed || err != nil {
			t.Errorf("RemoveChannelDigest = %v, %v", removed, err)
		}
		if removed, _ := s.RemoveChannelDigest(ctx, "slack:C1"); removed {
			t.Error("removed twice")
		}
	})
}
