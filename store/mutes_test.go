package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

func deliveryStatuses(t *testing.T, s *Store, alertID int64) map[string]string {
	t.Helper()
	rows, err := s.r.Query(`SELECT destination, status FROM deliveries WHERE alert_id = ?`, alertID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var d, st string
		if err := rows.Scan(&d, &st); err != nil {
			t.Fatal(err)
		}
		out[d] = st
	}
	return out
}

func TestMutedDeliveryIsStoredCountedAndNeverDue(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, _ := openTest(t)
		ctx := context.Background()
		it := item("feed", "a", "New IP at TSAG")
		id := mustSave(t, s, model.ItemSave{Item: it, Fingerprint: "f", Alert: alertFor(it, "new-ip"),
			Destinations: []string{"slack:C1"}, Muted: []string{"slack:C2"}})
		if got := deliveryStatuses(t, s, id); got["slack:C1"] != "pending" || got["slack:C2"] != string(model.DeliveryMuted) {
			t.Fatalf("delivery statuses = %v, want C1 pending and C2 muted", got)
		}
		pending, err := s.PendingDeliveries(ctx, 10)
		if err != nil || len(pending) != 1 || pending[0].Destination != "slack:C1" {
			t.Fatalf("PendingDeliveries = %v, %v; want only the one to C1", pending, err)
		}
		counts, err := s.DeliveryCounts(ctx, "slack:C2", t0.Add(-time.Hour), t0.Add(time.Hour))
		if err != nil || counts[model.DeliveryMuted] != 1 {
			t.Fatalf("DeliveryCounts(C2) = %v, %v; want 1 muted", counts, err)
		}
		if got, err := s.RecentAlerts(ctx, "", 5); err != nil || len(got) != 1 || got[0].ID != id {
			t.Fatalf("RecentAlerts = %v, %v; want the muted alert", got, err)
		}
	})
}

func TestEndMutesQueuesOneNotice(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		ctx := context.Background()
		m, err := s.AddMute(ctx, model.Mute{Destination: "slack:C1", Kind: model.MuteTopic, Value: "new-ip", ExpiresAt: t0.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Mutes(ctx, "slack:C1", t0); len(got) != 1 || got[0].ID != m.ID {
			t.Fatalf("Mutes = %v, want the one mute", got)
		}
		notice := func(m model.Mute) string { return "The mute of " + m.Value + " ended." }
		if n, err := s.EndMutes(ctx, t0.Add(time.Hour), notice); err != nil || n != 0 {
			t.Fatalf("EndMutes before the end = %d, %v; want 0", n, err)
		}
		end := t0.Add(25 * time.Hour)
		clock.Set(end)
		for i := 0; i < 3; i++ {
			n, err := s.EndMutes(ctx, end, notice)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{true: 1, false: 0}[i == 0]; n != want {
				t.Fatalf("EndMutes call %d queued %d notices, want %d", i+1, n, want)
			}
		}
		pending, err := s.PendingDeliveries(ctx, 10)
		if err != nil || len(pending) != 1 || pending[0].Destination != "slack:C1" {
			t.Fatalf("PendingDeliveries = %v, %v; want one notice to C1", pending, err)
		}
		a, err := s.Alert(ctx, pending[0].AlertID)
		if err != nil || a.Kind != model.AlertNotice || !strings.Contains(a.Item.Title, "new-ip ended") {
			t.Fatalf("notice alert = %+v, %v", a, err)
		}
		if got, _ := s.Mutes(ctx, "slack:C1", end); len(got) != 0 {
			t.Fatalf("Mutes after the end = %v, want none", got)
		}
		if got, _ := s.RecentAlerts(ctx, "", 5); len(got) != 0 {
			t.Fatalf("RecentAlerts lists the notice: %v", got)
		}
	})
}

func TestEndSnoozesSumsUpOnce(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		ctx := context.Background()
		it := item("itu", "c51", "C26/51")
		first := mustSave(t, s, model.ItemSave{Item: it, Fingerprint: "1", Alert: alertFor(it, "new-ip"), Destinations: []string{"slack:C1", "slack:C2"}})
		if err := s.Snooze(ctx, model.Snooze{AlertID: first, Destination: "slack:C1", Until: t0.Add(72 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		var updates []int64
		for i, change := range []string{"revised (Rev.1)", "French version added"} {
			clock.Set(t0.Add(time.Duration(i+1) * time.Hour))
			u := alertFor(it, "new-ip")
			u.Kind, u.ParentID, u.Change = model.AlertUpdate, first, change
			updates = append(updates, mustSave(t, s, model.ItemSave{Item: it, Fingerprint: change, Alert: u, Destinations: []string{"slack:C1", "slack:C2"}}))
		}
		for _, u := range updates {
			if got := deliveryStatuses(t, s, u); got["slack:C1"] != "snoozed" || got["slack:C2"] != "pending" {
				t.Fatalf("update %d statuses = %v, want C1 snoozed, C2 pending", u, got)
			}
		}
		if n, err := s.EndSnoozes(ctx, t0.Add(71*time.Hour)); err != nil || n != 0 {
			t.Fatalf("EndSnoozes before the end = %d, %v", n, err)
		}
		end := t0.Add(72 * time.Hour)
		clock.Set(end)
		for i := 0; i < 2; i++ {
			n, err := s.EndSnoozes(ctx, end)
			if err != nil || n != map[bool]int{true: 1, false: 0}[i == 0] {
				t.Fatalf("EndSnoozes call %d = %d, %v", i+1, n, err)
			}
		}
		pending, err := s.PendingDeliveries(ctx, 20)
		if err != nil {
			t.Fatal(err)
		}
		var toC1 []model.Delivery
		for _, d := range pending {
			if d.Destination == "slack:C1" {
				toC1 = append(toC1, d)
			}
		}
		if len(toC1) != 2 { // the first alert and the one summing-up update
			t.Fatalf("pending to C1 = %v, want the first alert and one summary", toC1)
		}
		sum, err := s.Alert(ctx, toC1[1].AlertID)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Kind != model.AlertUpdate || sum.ParentID != first || sum.Change != "2 updates while snoozed: revised (Rev.1); French version added" || len(sum.Matches) != 1 {
			t.Fatalf("summing-up update = kind %s parent %d change %q matches %d", sum.Kind, sum.ParentID, sum.Change, len(sum.Matches))
		}
		// A later snooze sums up only its own updates.
		if err := s.Snooze(ctx, model.Snooze{AlertID: first, Destination: "slack:C1", Until: end.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		u := alertFor(it, "new-ip")
		u.Kind, u.ParentID, u.Change = model.AlertUpdate, first, "Spanish version added"
		mustSave(t, s, model.ItemSave{Item: it, Fingerprint: "3", Alert: u, Destinations: []string{"slack:C1"}})
		clock.Set(end.Add(time.Hour))
		if n, err := s.EndSnoozes(ctx, end.Add(time.Hour)); err != nil || n != 1 {
			t.Fatalf("second EndSnoozes = %d, %v", n, err)
		}
		var change string
		if err := s.r.QueryRow(`SELECT change FROM alerts ORDER BY id DESC LIMIT 1`).Scan(&change); err != nil || change != "1 update while snoozed: Spanish version added" {
			t.Fatalf("second summary change = %q, %v", change, err)
		}
	})
}

func TestFollowsRoundTrip(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, _ := openTest(t)
		ctx := context.Background()
		f := model.Follow{Destination: "matrix:@alice:example.org", Kind: model.FollowDocument, Value: "C26/51"}
		for i, want := range []bool{true, false} {
			if added, err := s.AddFollow(ctx, f); err != nil || added != want {
				t.Fatalf("AddFollow %d = %v, %v; want %v", i+1, added, err, want)
			}
		}
		if got, err := s.Follows(ctx, ""); err != nil || len(got) != 1 || got[0].Value != "C26/51" || got[0].Kind != model.FollowDocument {
			t.Fatalf("Follows = %v, %v", got, err)
		}
		if removed, err := s.RemoveFollow(ctx, f.Destination, f.Kind, f.Value); err != nil || !removed {
			t.Fatalf("RemoveFollow = %v, %v", removed, err)
		}
		if got, _ := s.Follows(ctx, f.Destination); len(got) != 0 {
			t.Fatalf("Follows after unfollow = %v", got)
		}
	})
}

func TestFollowOnlyAlertIsNoStoryToJoin(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, _ := openTest(t)
		ctx := context.Background()
		followed := item("news", "f", "Press: C26/51 tabled")
		a := &model.Alert{Kind: model.AlertNew, Item: followed, Matches: []model.Match{{Topic: model.FollowTopic, TopicName: "you follow document C26/51"}}}
		mustSave(t, s, model.ItemSave{Item: followed, Fingerprint: "f", Alert: a, Destinations: []string{"slack:@U1"}})
		topical := item("news", "t", "New IP at TSAG")
		b := mustSave(t, s, model.ItemSave{Item: topical, Fingerprint: "t", Alert: alertFor(topical, "new-ip"), Destinations: []string{"slack:C1"}})
		got, err := s.StoryCandidates(ctx, t0.Add(-time.Hour), 10)
		if err != nil || len(got) != 1 || got[0].AlertID != b {
			t.Fatalf("StoryCandidates = %+v, %v; want only alert %d", got, err, b)
		}
	})
}
