package notify

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

var _ EditOutbox = (*store.Store)(nil)

// flakyEditor fails while down, then records what it was asked to show.
type flakyEditor struct {
	mu    sync.Mutex
	down  error
	edits []Edit
}

func (e *flakyEditor) Edit(_ context.Context, ed Edit) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.down != nil {
		return e.down
	}
	e.edits = append(e.edits, ed)
	return nil
}

// A claim made while the platform is down is shown once it is back, after
// a restart too; an edit waits for its message to be posted; a platform
// that says the message is gone drops the edit; the console has none.
func TestEditWorkerEventuallyEditsAfterAnOutage(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "e.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	a := bottest.NewIP()
	a.ID = 0
	if err := st.SaveItems(ctx, []model.ItemSave{{Item: a.Item, Fingerprint: a.Item.Fingerprint(), Alert: &a,
		Destinations: []string{"slack:#policy", "matrix:!room:example.org", "console"}}})[0]; err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(time.Second)
	clock := func() time.Time { return now }
	dls, _ := st.PendingDeliveries(ctx, 10)
	byDest := map[string]int64{}
	for _, d := range dls {
		byDest[d.Destination] = d.ID
	}
	// Slack and the console have the alert; Matrix not yet.
	if err := st.MarkDelivered(ctx, byDest["slack:#policy"], "1700000000.000100", now); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkDelivered(ctx, byDest["console"], "", now); err != nil {
		t.Fatal(err)
	}
	bob := model.Person{Platform: "slack", ID: "UBOB0001", Name: "Bob"}
	if _, _, err := st.SetClaim(ctx, model.AlertClaim{AlertID: a.ID, State: model.Claimed, By: bob, At: now}); err != nil {
		t.Fatal(err)
	}

	slackEd := &flakyEditor{down: errors.New("cannot reach Slack")}
	matrixEd := &flakyEditor{}
	w := NewEditWorker(EditWorkerOptions{Outbox: st, Editors: map[string]Editor{"slack": slackEd, "matrix": matrixEd}, Now: clock})
	w.jitter = func() float64 { return 0 }
	if n, err := w.EditDue(ctx); err != nil || n != 0 {
		t.Fatalf("edits during the outage = %d, %v", n, err)
	}
	// Restart: the edit is still owed.
	st.Close()
	if st, err = store.Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w = NewEditWorker(EditWorkerOptions{Outbox: st, Editors: map[string]Editor{"slack": slackEd, "matrix": matrixEd}, Now: clock})
	slackEd.down = nil
	if n, _ := w.EditDue(ctx); n != 0 {
		t.Fatalf("an edit was retried before its backoff: %d", n)
	}
	now = now.Add(time.Minute)
	if n, err := w.EditDue(ctx); err != nil || n != 1 {
		t.Fatalf("edits after the outage = %d, %v", n, err)
	}
	if len(slackEd.edits) != 1 || slackEd.edits[0].ExternalID != "1700000000.000100" || slackEd.edits[0].Target != "#policy" ||
		slackEd.edits[0].Claim == nil || slackEd.edits[0].Claim.By != bob {
		t.Fatalf("slack edit = %+v", slackEd.edits)
	}
	if len(matrixEd.edits) != 0 {
		t.Fatalf("a message not posted yet was edited: %+v", matrixEd.edits)
	}
	// Matrix posts it now: the edit that waited is made, showing the claim.
	if err := st.MarkDelivered(ctx, byDest["matrix:!room:example.org"], "$ev1", now); err != nil {
		t.Fatal(err)
	}
	if n, err := w.EditDue(ctx); err != nil || n != 1 || matrixEd.edits[0].ExternalID != "$ev1" {
		t.Fatalf("matrix edit = %d %v %+v", n, err, matrixEd.edits)
	}
	if _, ok, _ := st.NextEdit(ctx); ok {
		t.Error("edits still owed after all were made")
	}
	// Unclaim; Slack says the message is gone: dropped, not retried forever.
	if _, _, err := st.ClearClaim(ctx, a.ID, now); err != nil {
		t.Fatal(err)
	}
	slackEd.down = Permanent(errors.New("message_not_found"))
	if _, err := w.EditDue(ctx); err != nil {
		t.Fatal(err)
	}
	if len(matrixEd.edits) != 2 || matrixEd.edits[1].Claim != nil {
		t.Fatalf("unclaim edit = %+v", matrixEd.edits)
	}
	if _, ok, _ := st.NextEdit(ctx); ok {
		t.Error("a permanently refused edit is still owed")
	}
}
