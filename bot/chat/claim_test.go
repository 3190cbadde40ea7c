package chat

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

var _ ClaimStore = (*store.Store)(nil)

// The claim commands in turn, by two people, against the real store.
func TestClaimCommands(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := bottest.NewIP()
	a.ID = 0
	if err := st.SaveItems(ctx, []model.ItemSave{{Item: a.Item, Fingerprint: a.Item.Fingerprint(), Alert: &a, Destinations: []string{"console"}}})[0]; err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	r := NewRouter(RouterOptions{Queries: st, Now: func() time.Time { return now }, RateLimit: RateLimit{Burst: -1}})
	alice := Request{Platform: "slack", Channel: "C1", User: "UALICE01", UserName: "Alice <@U999>"}
	bob := Request{Platform: "slack", Channel: "C1", User: "UBOB0001", UserName: "Bob"}
	admin := Request{Platform: "matrix", Channel: "!r:x", User: "@mod:x", CanAdmin: true}

	steps := []struct {
		who       Request
		text      string
		wantTitle string
		wantAny   string // in a line or the footer
		wantErr   bool
	}{
		{alice, "claim", "claim needs one alert number.", "claim 42", true},
		{alice, "claim abc", `"abc" is not an alert number`, "", true},
		{alice, "claim 1 2", "claim needs one alert number.", "", true},
		{alice, "claim 77", "There is no alert #77.", "", true},
		{alice, "unclaim 1", "Nobody has claimed alert #1.", "claim 1", false},
		{alice, "claim #1", "Alert #1: claimed by Alice <@U999>.", "done 1", false},
		{bob, "unclaim 1", "Alert #1 is claimed by Alice <@U999>; only they or an admin can unclaim it.", "claim 1 takes it over", true},
		{bob, "claim 1", "Alert #1: claimed by Bob.", "Before: claimed by Alice <@U999>", false},
		{admin, "unclaim 1", "Alert #1 is nobody's now (it was claimed by Bob).", "", false},
		{bob, "done 1 briefed the   delegation", "Alert #1: done by Bob — briefed the delegation.", "notes 1", false},
		{alice, "notes 1", "No notes on alert #1 yet.", "Done by Bob — briefed the delegation", false},
		{alice, "recent", "Latest alert on all topics", "done by Bob — briefed the delegation", false},
		{alice, "explain 1", "Why alert #1 matched", "Done by Bob — briefed the delegation", false},
	}
	for _, s := range steps {
		reply := r.Handle(ctx, Request{Text: s.text, Platform: s.who.Platform, Channel: s.who.Channel, User: s.who.User, UserName: s.who.UserName, CanAdmin: s.who.CanAdmin})
		all := reply.Footer
		for _, l := range reply.Lines {
			all += "\n" + l.Text + " | " + l.Note
		}
		if !strings.HasPrefix(reply.Title, s.wantTitle) || reply.Error != s.wantErr || !strings.Contains(all, s.wantAny) {
			t.Errorf("%s: %q\n  got title %q (error %v)\n  %s\n  want title %q (error %v) and %q", s.who.User, s.text, reply.Title, reply.Error, all, s.wantTitle, s.wantErr, s.wantAny)
		}
	}

	// A note in the alert's thread, by the platform's message id.
	dls, _ := st.PendingDeliveries(ctx, 1)
	if err := st.MarkDelivered(ctx, dls[0].ID, "1700000000.000100", now); err != nil {
		t.Fatal(err)
	}
	// The console posts no thread, so file the delivery as Slack's for the
	// lookup: the platform is the destination's prefix.
	if _, err := st.DB().ExecContext(ctx, `UPDATE deliveries SET destination = 'slack:C1' WHERE id = ?`, dls[0].ID); err != nil {
		t.Fatal(err)
	}
	id, err := r.TakeNote(ctx, model.NoteReply{Platform: "slack", ThreadRoot: "1700000000.000100", MessageID: "C1/1700000000.000200", By: model.Person{Platform: "slack", ID: "UCAROL01", Name: "Carol\u202e"}, Text: "asked ISOC for a view"})
	if err != nil || id != 1 {
		t.Fatalf("TakeNote = %d, %v", id, err)
	}
	if id, _ := r.AlertOfMessage(ctx, "slack", "1700000000.000100"); id != 1 {
		t.Errorf("AlertOfMessage = %d, want 1", id)
	}
	reply := r.Handle(ctx, Request{Text: "notes 1", Platform: "slack", User: "UALICE01"})
	if reply.Title != "1 note on alert #1" || len(reply.Lines) != 2 || reply.Lines[1].Text != "asked ISOC for a view" || !strings.HasPrefix(reply.Lines[1].Note, "Carol · ") {
		t.Errorf("notes reply = %+v", reply)
	}
}

func TestNoteText(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"note: sent to the delegation", "sent to the delegation", true},
		{"  NOTE:   spaced  ", "spaced", true},
		{"note:", "", false},
		{"notes: not one", "", false},
		{"a note: inside", "", false},
		{"no", "", false},
	} {
		got, ok := NoteText(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NoteText(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
