package matrix

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/pipeline"
)

// fakeDirect is the homeserver's memory of account data and created rooms.
type fakeDirect struct {
	accountData map[string]json.RawMessage // "user/type" -> content
	created     []map[string]any           // createRoom bodies
}

func (f *fakeHomeserver) directHandlers(mux *http.ServeMux, p string) {
	mux.HandleFunc("GET "+p+"user/{user}/account_data/{type}", f.auth(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.calls["get account_data"]++
		raw, ok := f.direct.accountData[r.PathValue("user")+"/"+r.PathValue("type")]
		f.mu.Unlock()
		if !ok {
			writeJSON(w, 404, map[string]any{"errcode": "M_NOT_FOUND", "error": "Account data not found"})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(raw)
	}))
	mux.HandleFunc("PUT "+p+"user/{user}/account_data/{type}", f.auth(func(w http.ResponseWriter, r *http.Request) {
		var body json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeJSON(w, 400, map[string]any{"errcode": "M_NOT_JSON", "error": "Content not JSON."})
			return
		}
		f.mu.Lock()
		if f.direct.accountData == nil {
			f.direct.accountData = map[string]json.RawMessage{}
		}
		f.direct.accountData[r.PathValue("user")+"/"+r.PathValue("type")] = body
		f.mu.Unlock()
		writeJSON(w, 200, map[string]any{})
	}))
	mux.HandleFunc("POST "+p+"createRoom", f.auth(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeJSON(w, 400, map[string]any{"errcode": "M_NOT_JSON", "error": "Content not JSON."})
			return
		}
		f.mu.Lock()
		f.direct.created = append(f.direct.created, body)
		room := "!dm" + string(rune('0'+len(f.direct.created))) + ":example.org"
		f.mu.Unlock()
		writeJSON(w, 200, map[string]any{"room_id": room})
	}))
}

type titleMatcher map[string]string

func (m titleMatcher) Match(it *model.Item) []model.Match {
	var out []model.Match
	for w, topic := range m {
		if strings.Contains(it.Title, w) {
			out = append(out, model.Match{Topic: topic, Severity: model.SeverityHigh, Score: 3})
		}
	}
	return out
}

type noRoutes struct{}

func (noRoutes) DestinationsFor(string, model.Severity) []model.Destination { return nil }

// TestMatrixFollowOverTheWire: "!itu follow C26/51" in a room reaches the
// store; the Rev.1 in French that a later poll finds goes to a DM room the
// bot creates (is_direct, the person invited) and records in m.direct;
// the next one goes to the same room.
func TestMatrixFollowOverTheWire(t *testing.T) {
	f := newFakeHomeserver(t)
	state := newMemState()
	state.kv[stateNextBatch] = "s0"
	c, _ := newTestClient(t, f, state, nil)
	st := openTestStore(t, filepath.Join(t.TempDir(), "ituwatch.db"))
	router := chat.NewRouter(chat.RouterOptions{Queries: st, RateLimit: chat.RateLimit{Burst: -1}})

	f.push(joinRooms(alertsRoom, nil, msgEvent("@alice:example.org", "m.text", "!itu follow C26/51")))
	listen(t, c, router)
	reply := f.waitSent(t)
	if reply.Room != alertsRoom || !strings.Contains(reply.Content["body"].(string), "You now follow document C26/51") {
		t.Fatalf("reply in %s: %v", reply.Room, reply.Content["body"])
	}
	fs, err := st.Follows(context.Background(), "matrix:@alice:example.org")
	if err != nil || len(fs) != 1 || fs[0].Value != "C26/51" {
		t.Fatalf("stored follows = %+v, %v", fs, err)
	}

	in := pipeline.NewIngester(pipeline.Options{Store: st, Matcher: titleMatcher{"New IP": "new-ip"}, Routes: noRoutes{}, Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	if err := in.Ingest(ctx, "itu-council", []model.Item{
		{ID: "C26-51R1-F", Title: "Contribution sur l'Internet (Rév.1)", Document: &model.DocumentRef{Number: "C26/51", Revision: "Rev.1", Languages: []string{"fr"}}},
		{ID: "C26-52-E", Title: "Another one", Document: &model.DocumentRef{Number: "C26/52"}},
	}); err != nil {
		t.Fatal(err)
	}
	d := notify.NewDispatcher(notify.DispatcherOptions{Outbox: st, Notifiers: map[string]notify.Notifier{"matrix": c}, Logger: slog.New(slog.DiscardHandler)})
	if n, err := d.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverDue = %d, %v; want the one DM", n, err)
	}
	dm := f.waitSent(t)
	f.mu.Lock()
	created := append([]map[string]any(nil), f.direct.created...)
	direct := string(f.direct.accountData[botUser+"/m.direct"])
	f.mu.Unlock()
	if len(created) != 1 || created[0]["is_direct"] != true || !strings.Contains(strings.Join(anyStrings(created[0]["invite"]), ","), "@alice:example.org") {
		t.Fatalf("createRoom bodies = %v, want one direct room inviting alice", created)
	}
	if dm.Room != "!dm1:example.org" || !strings.Contains(string(dm.Raw), "Contribution sur l") {
		t.Errorf("DM sent in %s: %s", dm.Room, dm.Raw)
	}
	if !strings.Contains(direct, `"@alice:example.org":["!dm1:example.org"]`) {
		t.Errorf("m.direct = %s, want alice's room recorded", direct)
	}

	// Another process (a restart) finds the room in m.direct.
	c2, _ := newTestClient(t, f, newMemState(), nil)
	if err := in.Ingest(ctx, "itu-council", []model.Item{{ID: "C26-51-S", Title: "Contribución", Document: &model.DocumentRef{Number: "C26/51", Languages: []string{"es"}}}}); err != nil {
		t.Fatal(err)
	}
	d2 := notify.NewDispatcher(notify.DispatcherOptions{Outbox: st, Notifiers: map[string]notify.Notifier{"matrix": c2}, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return time.Now().Add(time.Second) }})
	if n, err := d2.DeliverDue(ctx); err != nil || n != 1 {
		t.Fatalf("second DeliverDue = %d, %v", n, err)
	}
	if dm := f.waitSent(t); dm.Room != "!dm1:example.org" {
		t.Errorf("second DM in %s, want the same room", dm.Room)
	}
	f.mu.Lock()
	n := len(f.direct.created)
	f.mu.Unlock()
	if n != 1 {
		t.Errorf("%d rooms created, want 1", n)
	}
}

func anyStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
