package store

import (
	"context"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

// A summary of held alerts is filed under an item already stored and
// leaves it as it is, even when the summary carries an older version of it
// (a batch that repeats an id); it is read back with its Held, and recent
// does not list it.
func TestSummaryIsFiledUnderTheStoredItem(t *testing.T) {
	eachDriver(t, func(t *testing.T) {
		ctx := context.Background()
		driver, target := reopenTarget(t)
		st, err := OpenDriver(ctx, driver, target)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		v1 := model.Item{SourceID: "flood", ID: "x", Title: "first text"}
		v2 := v1
		v2.Title = "second text"
		alert := &model.Alert{Kind: model.AlertNew, Item: v2, Matches: []model.Match{{Topic: "new-ip"}}, HeldFrom: []string{"console"}}
		if _, err := saveTest(ctx, st, model.ItemSave{Item: v2, Fingerprint: v2.Fingerprint(), Alert: alert}); err != nil {
			t.Fatal(err)
		}
		sum := &model.Alert{Kind: model.AlertSummary, Item: model.Item{SourceID: "flood"},
			Held: &model.HeldAlerts{Source: "flood", Destination: "console", Count: 1, Limit: 20, Topics: []string{"new-ip"}}}
		sumID, err := saveTest(ctx, st, model.ItemSave{Item: v1, Fingerprint: v1.Fingerprint(), Alert: sum, Destinations: []string{"console"}})
		if err != nil {
			t.Fatal(err)
		}
		prior, err := st.PriorItems(ctx, "flood", []string{"x"})
		if err != nil {
			t.Fatal(err)
		}
		if p := prior["x"]; p == nil || p.Item.Title != "second text" || p.Fingerprint != v2.Fingerprint() || p.FirstAlertID != alert.ID || p.LastAlertID != alert.ID {
			t.Errorf("after the summary the item is %+v, want it unchanged (second text, alert %d)", p, alert.ID)
		}
		got, err := st.Alert(ctx, sumID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind != model.AlertSummary || got.Held == nil || got.Held.Count != 1 || got.Held.Destination != "console" {
			t.Errorf("summary reads back as %+v (held %+v)", got, got.Held)
		}
		if a, err := st.Alert(ctx, alert.ID); err != nil || len(a.HeldFrom) != 1 || a.HeldFrom[0] != "console" {
			t.Errorf("held alert reads back held from %v (err %v)", a.HeldFrom, err)
		}
		recent, err := st.RecentAlerts(ctx, "", 10)
		if err != nil || len(recent) != 1 || recent[0].ID != alert.ID {
			t.Errorf("recent = %+v (err %v), want only the alert", recent, err)
		}
	})
}
