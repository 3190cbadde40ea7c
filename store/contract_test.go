package store

import (
	"context"
	"slices"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

// Queries the other tests reach on SQLite only through the bot packages:
// the claims of a page of alerts, the alert of a posted message, the
// destinations owed a digest, and unmuting.
func TestClaimsMessagesDigestsAndUnmute(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		s, clock := openTest(t)
		ctx := context.Background()
		a := item("itu-news", "a", "New IP at TSAG")
		b := item("itu-news", "b", "Council on OTT")
		idA := mustSave(t, s, model.ItemSave{Item: a, Fingerprint: "a", Alert: alertFor(a, "new-ip"), Destinations: []string{"slack:C1"},
			DigestDestinations: []string{"matrix:!weekly:x"}})
		idB := mustSave(t, s, model.ItemSave{Item: b, Fingerprint: "b", Alert: alertFor(b, "ott"), Destinations: []string{"slack:C1"}})

		if _, _, err := s.SetClaim(ctx, model.AlertClaim{AlertID: idB, State: model.Claimed, By: model.Person{Platform: "slack", ID: "U1", Name: "Ana"}, At: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		claims, err := s.AlertClaims(ctx, []int64{idA, idB})
		if err != nil || len(claims) != 1 || claims[idB].By.Name != "Ana" || claims[idB].State != model.Claimed {
			t.Errorf("AlertClaims = %+v, %v; want Ana's claim on %d only", claims, err, idB)
		}

		due, err := s.DueDeliveries(ctx, clock.Now(), 10)
		if err != nil || len(due) != 2 {
			t.Fatalf("due = %v, %v", due, err)
		}
		for _, d := range due {
			if d.AlertID == idA {
				if err := s.MarkDelivered(ctx, d.ID, "1700000000.000100", clock.Now()); err != nil {
					t.Fatal(err)
				}
			}
		}
		if got, err := s.AlertOfMessage(ctx, "slack", "1700000000.000100"); err != nil || got != idA {
			t.Errorf("AlertOfMessage(slack) = %d, %v; want %d", got, err, idA)
		}
		if got, err := s.AlertOfMessage(ctx, "matrix", "1700000000.000100"); err != nil || got != 0 {
			t.Errorf("AlertOfMessage(matrix) = %d, %v; want 0 (posted on Slack)", got, err)
		}

		if got, err := s.OwedDigests(ctx); err != nil || !slices.Equal(got, []string{"matrix:!weekly:x"}) {
			t.Errorf("OwedDigests = %v, %v", got, err)
		}

		if _, err := s.AddMute(ctx, model.Mute{Destination: "slack:C1", Kind: model.MuteTopic, Value: "ott"}); err != nil {
			t.Fatal(err)
		}
		if ended, err := s.EndMute(ctx, "slack:C1", model.MuteTopic, "ott"); err != nil || !ended {
			t.Errorf("EndMute = %v, %v; want ended", ended, err)
		}
		if ended, err := s.EndMute(ctx, "slack:C1", model.MuteTopic, "ott"); err != nil || ended {
			t.Errorf("EndMute again = %v, %v; want nothing to end", ended, err)
		}
	})
}
