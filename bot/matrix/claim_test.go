package matrix

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/bot/render"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// wakingStore wakes the edit worker when a claim changes, as cmd/ituwatch
// wires it.
type wakingStore struct {
	*store.Store
	wake func()
}

func (s wakingStore) SetClaim(ctx context.Context, c model.AlertClaim) (model.AlertClaim, bool, error) {
	prev, had, err := s.Store.SetClaim(ctx, c)
	s.wake()
	return prev, had, err
}

func (s wakingStore) ClearClaim(ctx context.Context, id int64, at time.Time) (model.AlertClaim, bool, error) {
	prev, had, err := s.Store.ClearClaim(ctx, id, at)
	s.wake()
	return prev, had, err
}

func reactionEvent(sender, target, key string) map[string]any {
	evSeq++
	return map[string]any{
		"type": "m.reaction", "event_id": fmt.Sprintf("$re%d", evSeq), "sender": sender,
		"origin_server_ts": 1767225600000 + evSeq,
		"content":          map[string]any{"m.relates_to": map[string]any{"rel_type": "m.annotation", "event_id": target, "key": key}},
	}
}

func threadReply(sender, root, body string) map[string]any {
	ev := msgEvent(sender, "m.text", body)
	ev["content"].(map[string]any)["m.relates_to"] = map[string]any{"rel_type": "m.thread", "event_id": root, "is_falling_back": true, "m.in_reply_to": map[string]any{"event_id": root}}
	return ev
}

// A 👀 reaction on a posted alert, received through /sync, claims it for
// the person who reacted, and the alert is edited with m.replace to say so,
// after the homeserver's hiccup; a "note:" in the alert's thread is kept
// and listed by !itu notes; ✅ closes the alert.
func TestMatrixReactionsClaimAndEditTheAlert(t *testing.T) {
	f := newFakeHomeserver(t)
	state := newMemState()
	state.kv[stateNextBatch] = "s0"
	c, _ := newTestClient(t, f, state, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := bottest.NewIP()
	a.ID = 0
	if err := st.SaveItems(ctx, []model.ItemSave{{Item: a.Item, Fingerprint: a.Item.Fingerprint(), Alert: &a, Destinations: []string{"matrix:" + alertsRoom}}})[0]; err != nil {
		t.Fatal(err)
	}
	dls, _ := st.PendingDeliveries(ctx, 1)
	alertEvent, err := c.Send(ctx, notify.Outgoing{DeliveryID: dls[0].ID, Alert: a, Target: alertsRoom, Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	f.waitSent(t)
	if err := st.MarkDelivered(ctx, dls[0].ID, alertEvent, time.Now()); err != nil {
		t.Fatal(err)
	}

	// The homeserver fails the first edit.
	f.mu.Lock()
	f.failSend = func(n int, w http.ResponseWriter) bool {
		if n == 2 {
			writeJSON(w, http.StatusBadGateway, map[string]any{"errcode": "M_UNKNOWN", "error": "bad gateway"})
			return true
		}
		return false
	}
	f.mu.Unlock()
	worker := notify.NewEditWorker(notify.EditWorkerOptions{Outbox: st, Editors: map[string]notify.Editor{"matrix": c}, BaseBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	go worker.Run(ctx)
	router := chat.NewRouter(chat.RouterOptions{Queries: wakingStore{Store: st, wake: worker.Wake}, RateLimit: chat.RateLimit{Burst: -1}})
	listen(t, c, router)

	f.push(joinRooms(alertsRoom, nil,
		reactionEvent("@bob:example.org", "$unrelated", "👀"), // not an alert: nothing
		reactionEvent("@bob:example.org", alertEvent, "👍"),   // not ours: nothing
		reactionEvent("@bob:example.org", alertEvent, "👀\ufe0f"),
	))
	edit := f.waitSent(t)
	rel, _ := edit.Content["m.relates_to"].(map[string]any)
	if edit.Type != "m.room.message" || rel["rel_type"] != "m.replace" || rel["event_id"] != alertEvent {
		t.Fatalf("sent %s relating %v, want an m.replace of %s", edit.Type, rel, alertEvent)
	}
	newContent, _ := edit.Content["m.new_content"].(map[string]any)
	body, _ := newContent["body"].(string)
	if !strings.Contains(body, "👀 Claimed by @bob:example.org") || !strings.Contains(body, "New IP") {
		t.Errorf("edited body:\n%s", body)
	}
	for _, m := range []any{edit.Content["m.mentions"], newContent["m.mentions"]} {
		if mm, ok := m.(map[string]any); !ok || len(mm) != 0 {
			t.Errorf("m.mentions = %v, want {}", m)
		}
	}
	f.mu.Lock()
	tries := len(f.sendTxns)
	f.mu.Unlock()
	if tries != 3 {
		t.Errorf("%d send requests, want the alert, the failed edit and its retry", tries)
	}

	// A note in the alert's thread, a reply that is no note, then !itu notes.
	f.push(joinRooms(alertsRoom, nil,
		threadReply("@carol:example.org", alertEvent, "note: briefed the <b>delegation</b> @room"),
		threadReply("@carol:example.org", alertEvent, "thanks"),
		msgEvent("@carol:example.org", "m.text", fmt.Sprintf("!itu notes %d", a.ID)),
	))
	reply := f.waitSent(t)
	rb, _ := reply.Content["body"].(string)
	if !strings.Contains(rb, "1 note on alert #") || !strings.Contains(rb, "briefed the <b>delegation</b> @\u2060room") || strings.Contains(rb, "thanks") {
		t.Errorf("notes reply:\n%s", rb)
	}
	if fb, _ := reply.Content["formatted_body"].(string); strings.Contains(fb, "<b>delegation") {
		t.Errorf("a note's markup reached the HTML: %s", fb)
	}

	// ✅ closes it.
	f.push(joinRooms(alertsRoom, nil, reactionEvent("@carol:example.org", alertEvent, "✅")))
	edit = f.waitSent(t)
	newContent, _ = edit.Content["m.new_content"].(map[string]any)
	if body, _ := newContent["body"].(string); !strings.Contains(body, "✅ Done by @carol:example.org") || strings.Contains(body, "react 👀") {
		t.Errorf("done edit body:\n%s", body)
	}
	if cl, ok, _ := st.AlertClaim(ctx, a.ID); !ok || cl.State != model.Done || cl.By.ID != "@carol:example.org" {
		t.Errorf("stored claim = %+v %v", cl, ok)
	}
}

// A display name in a claim is text: escaped in the HTML, @room defused.
func TestClaimLineIsText(t *testing.T) {
	a := bottest.NewIP()
	claim := &model.AlertClaim{AlertID: a.ID, State: model.Claimed, By: model.Person{Platform: "matrix", ID: "@eve:x", Name: `<a href="https://evil.example">Eve</a> @room`}}
	content := alertContent(render.NewAlertView(a, render.ViewOptions{Claim: claim}))
	if !strings.Contains(content.FormattedBody, "👀 Claimed by &lt;a href=&#34;https://evil.example&#34;&gt;Eve&lt;/a&gt; @\u2060room") || strings.Contains(content.FormattedBody, "evil.example\">") {
		t.Errorf("formatted body: %s", content.FormattedBody)
	}
	if !strings.Contains(content.Body, "@\u2060room") {
		t.Errorf("body: %s", content.Body)
	}
}
