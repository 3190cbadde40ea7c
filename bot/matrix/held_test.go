package matrix

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// membershipGate sits in front of the fake homeserver and enforces room
// membership the way a homeserver does: a send to a room the bot has not
// joined is refused with 403 M_FORBIDDEN, joined_rooms lists the rooms it is
// in, and a join (by the listener, or by the test) lets it in.
type membershipGate struct {
	f   *fakeHomeserver
	srv *httptest.Server

	mu      sync.Mutex
	joined  map[string]bool
	refused map[string]int // refused sends per room
	listErr bool           // joined_rooms answers 500
}

func newMembershipGate(t *testing.T, f *fakeHomeserver, joined ...string) *membershipGate {
	t.Helper()
	g := &membershipGate{f: f, joined: map[string]bool{}, refused: map[string]int{}}
	for _, r := range joined {
		g.joined[r] = true
	}
	inner := f.srv.Config.Handler
	const p = "/_matrix/client/v3/"
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p+"joined_rooms", func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		if g.listErr {
			g.mu.Unlock()
			writeJSON(w, 500, map[string]any{"errcode": "M_UNKNOWN", "error": "Internal server error"})
			return
		}
		rooms := []string{}
		for room := range g.joined {
			rooms = append(rooms, room)
		}
		g.mu.Unlock()
		writeJSON(w, 200, map[string]any{"joined_rooms": rooms})
	})
	mux.HandleFunc("PUT "+p+"rooms/{room}/send/{type}/{txn}", func(w http.ResponseWriter, r *http.Request) {
		room := r.PathValue("room")
		g.mu.Lock()
		in := g.joined[room]
		if !in {
			g.refused[room]++
		}
		g.mu.Unlock()
		if !in {
			// Synapse's answer to a send into a room the user is not in.
			writeJSON(w, 403, map[string]any{"errcode": "M_FORBIDDEN", "error": fmt.Sprintf("User %s not in room %s", botUser, room)})
			return
		}
		inner.ServeHTTP(w, r)
	})
	join := func(w http.ResponseWriter, r *http.Request) {
		g.join(r.PathValue("room"))
		inner.ServeHTTP(w, r)
	}
	mux.HandleFunc("POST "+p+"join/{room}", join)
	mux.HandleFunc("POST "+p+"rooms/{room}/join", join)
	mux.Handle("/", inner)
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

func (g *membershipGate) join(room string) {
	g.mu.Lock()
	g.joined[room] = true
	g.mu.Unlock()
}

func (g *membershipGate) refusedIn(room string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refused[room]
}

// gatedClient logs in through the gate.
func gatedClient(t *testing.T, g *membershipGate) *Client {
	t.Helper()
	c, err := New(context.Background(), Options{
		Homeserver:  g.srv.URL,
		AccessToken: testToken,
		State:       newMemState(),
		Logger:      slog.New(slog.DiscardHandler),
		HTTPClient:  g.srv.Client(),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

const otherRoom = "!other:example.org"

// queueAlerts stores n alerts, each of its own item, with one pending
// delivery per destination, as the pipeline would; it returns their ids in
// the order they were written.
func queueAlerts(t *testing.T, st *store.Store, n int, dests ...string) []int64 {
	t.Helper()
	var ids []int64
	for i := range n {
		a := model.Alert{
			Kind: model.AlertNew,
			Item: model.Item{
				SourceID:  "itu-council",
				ID:        fmt.Sprintf("C25-%d", 60+i),
				Title:     fmt.Sprintf("Council document %d on New IP", 60+i),
				Link:      fmt.Sprintf("https://www.itu.int/md/S25-CL-C-%04d/en", 60+i),
				Published: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
			},
			Matches: []model.Match{{Topic: "new-ip", TopicName: "New IP", Severity: model.SeverityHigh}},
		}
		if err := st.SaveItems(context.Background(), []model.ItemSave{{Item: a.Item, Fingerprint: a.Item.Fingerprint(), Alert: &a, Destinations: dests}})[0]; err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	return ids
}

func openTestStore(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func destStatus(t *testing.T, st *store.Store, dest string) model.DestinationStatus {
	t.Helper()
	all, err := st.DestinationStatuses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range all {
		if d.Destination == dest {
			return d
		}
	}
	t.Fatalf("no deliveries to %s in the store", dest)
	return model.DestinationStatus{}
}

// txnsIn lists, in the order the homeserver accepted them, the transaction
// ids (derived from the delivery id) of the events in room.
func txnsIn(f *fakeHomeserver, room string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, ev := range f.events {
		if ev.Room != room {
			continue
		}
		out = append(out, ev.Txn)
	}
	return out
}

func txnsFor(deliveryIDs ...int64) []string {
	var out []string
	for _, id := range deliveryIDs {
		out = append(out, fmt.Sprintf("itu-d%d", id))
	}
	return out
}

func TestAlertsBeforeTheBotJoinsAreHeldThenSentInOrder(t *testing.T) {
	f := newFakeHomeserver(t)
	g := newMembershipGate(t, f, otherRoom)
	st := openTestStore(t, filepath.Join(t.TempDir(), "ituwatch.db"))
	ctx := context.Background()
	alertsDest, otherDest := "matrix:"+alertsRoom, "matrix:"+otherRoom
	queueAlerts(t, st, 3, alertsDest, otherDest)

	now := time.Now()
	d := notify.NewDispatcher(notify.DispatcherOptions{
		Outbox:    st,
		Notifiers: map[string]notify.Notifier{"matrix": gatedClient(t, g)},
		Logger:    slog.New(slog.DiscardHandler),
		Now:       func() time.Time { return now },
	})

	// Started before the invite: the room refuses, the other room takes
	// all three at once.
	n, err := d.DeliverDue(ctx)
	if err != nil || n != 3 {
		t.Fatalf("first pass: %d delivered, err %v; want the 3 to the other room", n, err)
	}
	if got := len(txnsIn(f, otherRoom)); got != 3 {
		t.Errorf("the other room got %d alerts, want 3: a held room delayed it", got)
	}
	held := destStatus(t, st, alertsDest)
	if held.Failed != 0 || held.Pending != 3 {
		t.Fatalf("before the join: %+v; want all 3 still owed, none failed", held)
	}
	if r := g.refusedIn(alertsRoom); r != 1 {
		t.Errorf("%d sends refused, want 1: the later alerts must wait behind the first, not be tried", r)
	}

	// Retries before the join are refused again and change nothing.
	for range 3 {
		now = now.Add(time.Minute)
		if n, err := d.DeliverDue(ctx); err != nil || n != 0 {
			t.Fatalf("pass before the join: %d delivered, err %v", n, err)
		}
	}
	if r := g.refusedIn(alertsRoom); r < 2 || r > 4 {
		t.Errorf("%d refused sends over 3 minutes, want the room retried about once a minute", r)
	}

	// The bot is invited and joins: within a minute the three go out, in
	// the order they were written, once each.
	g.join(alertsRoom)
	now = now.Add(time.Minute)
	if n, err := d.DeliverDue(ctx); err != nil || n != 3 {
		t.Fatalf("pass after the join: %d delivered, err %v; want 3", n, err)
	}
	if n, _ := d.DeliverDue(ctx); n != 0 {
		t.Errorf("a later pass delivered %d again", n)
	}
	got := txnsIn(f, alertsRoom)
	var want []string
	for _, id := range []int64{1, 3, 5} { // deliveries to the room: every other id
		want = append(want, txnsFor(id)...)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("room received %v, want %v (in order, once each)", got, want)
	}
	if s := destStatus(t, st, alertsDest); s.Failed != 0 || s.Pending != 0 {
		t.Errorf("after the join: %+v; want everything delivered", s)
	}
}

func TestSendForbiddenIsHeldWithWhatToDo(t *testing.T) {
	tests := []struct {
		name    string
		joined  bool
		listErr bool
		want    string
	}{
		{"not in the room", false, false, "the bot is not in the Matrix room !alerts:example.org yet: invite it from an account in matrix.allowed_users"},
		{"in the room, power level too low", true, false, "the bot is in the Matrix room !alerts:example.org but may not post there: raise its power level"},
		{"membership unknown", false, true, "the bot may not post in the Matrix room !alerts:example.org yet: invite it to the room, or if it is in, raise its power level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeHomeserver(t)
			var joined []string
			if tt.joined {
				joined = append(joined, alertsRoom)
			}
			g := newMembershipGate(t, f, joined...)
			g.listErr = tt.listErr
			// A room that asks power level 50 for messages refuses even a
			// member; the token in the message must not reach the error.
			f.failSend = func(_ int, w http.ResponseWriter) bool {
				writeJSON(w, 403, map[string]any{"errcode": "M_FORBIDDEN", "error": "You don't have permission to post that to the room. user_level (0) < send_level (50) " + testToken})
				return true
			}
			_, err := gatedClient(t, g).Send(context.Background(), notify.Outgoing{DeliveryID: 5, Alert: hostileAlert(), Target: alertsRoom, Attempt: 1})
			if err == nil {
				t.Fatal("Send succeeded, want a refusal")
			}
			if !notify.IsHeld(err) || notify.IsPermanent(err) {
				t.Errorf("Held %v, Permanent %v; want held, not failed (%v)", notify.IsHeld(err), notify.IsPermanent(err), err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "(Matrix said M_FORBIDDEN)") {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error leaks the access token: %v", err)
			}
		})
	}
}

func TestHeldRoomIsGivenUpAfterHoldForWithWhatToDo(t *testing.T) {
	f := newFakeHomeserver(t)
	g := newMembershipGate(t, f)
	st := openTestStore(t, filepath.Join(t.TempDir(), "ituwatch.db"))
	ctx := context.Background()
	dest := "matrix:" + alertsRoom
	queueAlerts(t, st, 3, dest)
	now := time.Now()
	d := notify.NewDispatcher(notify.DispatcherOptions{
		Outbox:    st,
		Notifiers: map[string]notify.Notifier{"matrix": gatedClient(t, g)},
		Logger:    slog.New(slog.DiscardHandler),
		Now:       func() time.Time { return now },
		HoldFor:   48 * time.Hour,
	})
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	now = now.Add(47 * time.Hour)
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if s := destStatus(t, st, dest); s.Pending != 3 || s.HeldSince.IsZero() {
		t.Fatalf("after 47h: %+v; want 3 held", s)
	}
	now = now.Add(time.Hour)
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	s := destStatus(t, st, dest)
	if s.Failed != 3 || s.Pending != 0 || !s.HeldSince.IsZero() {
		t.Fatalf("after 48h: %+v; want all 3 given up, nothing held", s)
	}
	for _, want := range []string{"held for 2 days waiting for the refusal to be fixed, then given up (delivery.hold_for)", "invite it"} {
		if !strings.Contains(s.LastError, want) {
			t.Errorf("reason %q does not say %q", s.LastError, want)
		}
	}
	if r := g.refusedIn(alertsRoom); r != 3 {
		t.Errorf("%d sends refused, want 3: one per pass, none for the deliveries given up behind the first", r)
	}
	if len(txnsIn(f, alertsRoom)) != 0 {
		t.Error("something reached the room")
	}
}
