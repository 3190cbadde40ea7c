package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

func TestClaimsNotesAndEditsSurviveReopen(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		ctx := context.Background()
		driver, path := reopenTarget(t)
		s, err := OpenDriver(ctx, driver, path)
		if err != nil {
			t.Fatal(err)
		}
		it := item("itu-news", "c1", "Council working group on New IP")
		id := mustSave(t, s, model.ItemSave{Item: it, Fingerprint: "f", Alert: alertFor(it, "new-ip"), Destinations: []string{"slack:#itu-alerts", "matrix:!r:example.org", "console"}})
		dls, err := s.PendingDeliveries(ctx, 10)
		if err != nil || len(dls) != 3 {
			t.Fatalf("deliveries = %v, %v", dls, err)
		}
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		// The Slack message is posted; the Matrix one is still pending and the
		// console one failed: only the posted one is due for an edit.
		for _, d := range dls {
			switch d.Destination {
			case "slack:#itu-alerts":
				err = s.MarkDelivered(ctx, d.ID, "1700000000.000100", now)
			case "console":
				err = s.MarkFailed(ctx, d.ID, "gone")
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := s.SetClaim(ctx, model.AlertClaim{AlertID: id + 99, State: model.Claimed, By: model.Person{Platform: "slack", ID: "U1"}, At: now}); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("claim of a missing alert: %v, want ErrNotFound", err)
		}
		alice := model.Person{Platform: "slack", ID: "UALICE01", Name: "Alice Example"}
		if _, had, err := s.SetClaim(ctx, model.AlertClaim{AlertID: id, State: model.Claimed, By: alice, At: now}); err != nil || had {
			t.Fatalf("claim: had=%v %v", had, err)
		}
		prev, had, err := s.SetClaim(ctx, model.AlertClaim{AlertID: id, State: model.Done, By: alice, Note: "answered the consultation", At: now.Add(time.Minute)})
		if err != nil || !had || prev.State != model.Claimed {
			t.Fatalf("done: prev=%+v had=%v %v", prev, had, err)
		}
		aid, added, err := s.AddNote(ctx, model.NoteReply{Platform: "slack", ThreadRoot: "1700000000.000100", MessageID: "1700000000.000200", By: alice, Text: "sent to the delegation", At: now})
		if err != nil || aid != id || !added {
			t.Fatalf("note: alert %d added %v %v", aid, added, err)
		}
		if _, added, _ := s.AddNote(ctx, model.NoteReply{Platform: "slack", ThreadRoot: "1700000000.000100", MessageID: "1700000000.000200", By: alice, Text: "again", At: now}); added {
			t.Error("the same message was stored twice")
		}
		if aid, _, err := s.AddNote(ctx, model.NoteReply{Platform: "matrix", ThreadRoot: "1700000000.000100", MessageID: "$x", By: alice, Text: "x", At: now}); err != nil || aid != 0 {
			t.Errorf("a thread of another platform was taken for the alert's: %d %v", aid, err)
		}
		// The Matrix delivery fails for good after the claim: its edit is
		// handed out once, with no message to edit, so that it is dropped.
		for _, d := range dls {
			if d.Destination == "matrix:!r:example.org" {
				if err := s.MarkFailed(ctx, d.ID, "room gone"); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}

		s, err = OpenDriver(ctx, driver, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		c, ok, err := s.AlertClaim(ctx, id)
		if err != nil || !ok || c.State != model.Done || c.By != alice || c.Note != "answered the consultation" || !c.At.Equal(now.Add(time.Minute)) {
			t.Fatalf("claim after reopen = %+v %v %v", c, ok, err)
		}
		notes, err := s.Notes(ctx, id, 10)
		if err != nil || len(notes) != 1 || notes[0].Text != "sent to the delegation" || notes[0].By != alice {
			t.Fatalf("notes after reopen = %+v %v", notes, err)
		}
		due, err := s.DueEdits(ctx, now.Add(time.Hour), 10)
		if err != nil || len(due) != 2 {
			t.Fatalf("due edits = %+v %v; want the posted slack one and the failed matrix one (the console one failed before the claim)", due, err)
		}
		var slackEdit model.PendingEdit
		for _, e := range due {
			if e.Destination == "slack:#itu-alerts" {
				slackEdit = e
			} else if e.ExternalID != "" {
				t.Errorf("edit of a failed delivery has a message id: %+v", e)
			}
		}
		if slackEdit.ExternalID != "1700000000.000100" || slackEdit.AlertID != id || slackEdit.Version != 2 {
			t.Fatalf("slack edit = %+v", slackEdit)
		}
		// A change while the edit is in flight: the older version's success
		// must not forget the newer request.
		if _, _, err := s.ClearClaim(ctx, id, now.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.EditDone(ctx, slackEdit.DeliveryID, slackEdit.Version); err != nil {
			t.Fatal(err)
		}
		due, _ = s.DueEdits(ctx, now.Add(time.Hour), 10)
		found := false
		for _, e := range due {
			if e.DeliveryID == slackEdit.DeliveryID {
				// A new request starts the give-up clock again.
				found = e.Version == 3 && e.Requested.Equal(now.Add(2*time.Minute))
			}
		}
		if !found {
			t.Fatalf("the edit asked for by unclaim was lost: %+v", due)
		}
		if err := s.EditRetry(ctx, slackEdit.DeliveryID, 3, now.Add(2*time.Hour), "slack down"); err != nil {
			t.Fatal(err)
		}
		if next, ok, err := s.NextEdit(ctx); err != nil || !ok || next.After(now.Add(time.Hour)) {
			t.Errorf("next edit = %v %v %v (the failed matrix one is due now)", next, ok, err)
		}
		if _, ok, _ := s.AlertClaim(ctx, id); ok {
			t.Error("unclaim left the claim")
		}
	})
}
