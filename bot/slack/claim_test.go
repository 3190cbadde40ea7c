package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/internal/bottest"
	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

func (f *fakeSlack) chatUpdate(w http.ResponseWriter, r *http.Request) {
	v, ok := f.form(w, r, "chat.update")
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id, found := f.resolve(v.Get("channel"))
	if !found || v.Get("channel") != id {
		slackError(w, "channel_not_found") // chat.update takes ids only
		return
	}
	for _, m := range f.messages[id] {
		if m.TS == v.Get("ts") {
			f.updated <- v
			writeJSON(w, map[string]any{"ok": true, "channel": id, "ts": m.TS, "text": v.Get("text")})
			return
		}
	}
	slackError(w, "message_not_found")
}

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

func buttonEnvelope(id, user, userName, action string, alertID int64, ts string) map[string]any {
	return map[string]any{
		"envelope_id": id,
		"type":        "interactive",
		"payload": map[string]any{
			"type":       "block_actions",
			"user":       map[string]any{"id": user, "username": userName, "name": userName, "team_id": "T0TEAM"},
			"api_app_id": "A0APP",
			"team":       map[string]any{"id": "T0TEAM"},
			"container":  map[string]any{"type": "message", "message_ts": ts, "channel_id": alertsID, "is_ephemeral": false},
			"channel":    map[string]any{"id": alertsID, "name": "itu-alerts"},
			"message":    map[string]any{"type": "message", "ts": ts, "text": "New alert"},
			"trigger_id": "1.2.3",
			"actions": []map[string]any{{
				"action_id": action, "block_id": claimBlockID, "type": "button",
				"value": strconv.FormatInt(alertID, 10), "action_ts": "1700000300.000001",
				"text": map[string]any{"type": "plain_text", "text": "I'm on it"},
			}},
		},
	}
}

func threadMessageEnvelope(id, eventID, user, text, ts, threadTS string) map[string]any {
	return map[string]any{
		"envelope_id": id,
		"type":        "events_api",
		"payload": map[string]any{
			"type": "event_callback", "team_id": "T0TEAM", "api_app_id": "A0APP", "event_id": eventID,
			"event_time": 1700000000,
			"event": map[string]any{"type": "message", "user": user, "text": text, "ts": ts, "thread_ts": threadTS,
				"channel": alertsID, "channel_type": "channel", "event_ts": ts},
		},
	}
}

// blocksText is the update's blocks as one string, for looking into.
func blocksText(t *testing.T, v url.Values) string {
	t.Helper()
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(v.Get("blocks")), &blocks); err != nil {
		t.Fatalf("chat.update blocks: %v\n%s", err, v.Get("blocks"))
	}
	b, _ := json.Marshal(blocks)
	return string(b)
}

// The buttons of a posted alert, clicked over Socket Mode: the click is
// acked, claims the alert for the clicker, and the message is updated with
// chat.update to say so, by name and without a ping, once Slack is back
// from an outage; Done closes it; a "note:" in the alert's thread is kept
// and listed by /itu notes.
func TestSlackButtonsClaimAndEditTheAlert(t *testing.T) {
	f := newFakeSlack(t)
	c, logs := newTestClient(t, f, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := bottest.NewIP()
	a.ID = 0
	if err := st.SaveItems(ctx, []model.ItemSave{{Item: a.Item, Fingerprint: a.Item.Fingerprint(), Alert: &a, Destinations: []string{"slack:#itu-alerts"}}})[0]; err != nil {
		t.Fatal(err)
	}
	dls, _ := st.PendingDeliveries(ctx, 1)
	ts, err := c.Send(ctx, notify.Outgoing{DeliveryID: dls[0].ID, Alert: a, Target: "#itu-alerts", Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkDelivered(ctx, dls[0].ID, ts, time.Now()); err != nil {
		t.Fatal(err)
	}
	if posted := within(t, f.posted, "the alert"); !strings.Contains(posted.Get("blocks"), `"action_id":"ituwatch_claim"`) {
		t.Fatalf("the alert has no claim button: %s", posted.Get("blocks"))
	}

	worker := notify.NewEditWorker(notify.EditWorkerOptions{Outbox: st, Editors: map[string]notify.Editor{"slack": c}, BaseBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	go worker.Run(ctx)
	router := chat.NewRouter(chat.RouterOptions{Queries: wakingStore{Store: st, wake: worker.Wake}, RateLimit: chat.RateLimit{Burst: -1}})
	listenErr := make(chan error, 1)
	go func() { listenErr <- c.Listen(ctx, router, nil) }()
	defer func() {
		cancel()
		within(t, listenErr, "Listen to return")
	}()
	s := newSocketScript(t, within(t, f.socket, "the Socket Mode connection"))
	s.send(map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "A0APP"}})

	// Slack's Web API is down when Bob clicks "I'm on it".
	f.mu.Lock()
	f.unavailable = map[string]bool{"chat.update": true}
	f.mu.Unlock()
	s.send(buttonEnvelope("env-b1", "UBOB0001", "<!channel> *bob*", actionClaim, a.ID, ts))
	s.expectAck("env-b1")
	deadline := time.Now().Add(testTimeout)
	for f.count("chat.update") < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := f.count("chat.update"); n < 2 {
		t.Fatalf("the edit was not retried during the outage (%d tries)", n)
	}
	f.mu.Lock()
	f.unavailable = nil
	f.mu.Unlock()
	up := within(t, f.updated, "the chat.update after the outage")
	if up.Get("channel") != alertsID || up.Get("ts") != ts {
		t.Errorf("chat.update of channel %q ts %q, want %q %q", up.Get("channel"), up.Get("ts"), alertsID, ts)
	}
	body := blocksText(t, up)
	for _, want := range []string{"claimed by \\u0026lt;!channel\\u0026gt; ∗bob∗", `"action_id":"ituwatch_done"`, `"action_id":"ituwatch_unclaim"`, "New IP"} {
		if !strings.Contains(body, want) {
			t.Errorf("updated message lacks %s:\n%s", want, body)
		}
	}
	for _, bad := range []string{"<!channel>", "<@UBOB0001>", `"action_id":"ituwatch_claim"`} {
		if strings.Contains(body, bad) {
			t.Errorf("updated message has %s:\n%s", bad, body)
		}
	}
	if c, ok, _ := st.AlertClaim(ctx, a.ID); !ok || c.By.ID != "UBOB0001" || c.State != model.Claimed {
		t.Errorf("stored claim = %+v %v", c, ok)
	}

	// Done: the message shows it and keeps no buttons.
	s.send(buttonEnvelope("env-b2", "UBOB0001", "bob", actionDone, a.ID, ts))
	s.expectAck("env-b2")
	body = blocksText(t, within(t, f.updated, "the chat.update for done"))
	if !strings.Contains(body, "done by") || strings.Contains(body, `"type":"actions"`) {
		t.Errorf("done message:\n%s", body)
	}

	// A note in the alert's thread, then /itu notes.
	s.send(threadMessageEnvelope("env-n1", "EvN1", "UCAROL01", "Note: sent to the delegation &lt;3", "1700000400.000100", ts))
	s.expectAck("env-n1")
	s.send(threadMessageEnvelope("env-n2", "EvN2", "UCAROL01", "just chatting", "1700000400.000200", ts))
	s.expectAck("env-n2")
	// A reply also sent to the channel is a note too; an edit of one is not
	// another note.
	broadcast := threadMessageEnvelope("env-n4", "EvN4", "UCAROL01", "note: also in the channel", "1700000400.000300", ts)
	broadcast["payload"].(map[string]any)["event"].(map[string]any)["subtype"] = "thread_broadcast"
	s.send(broadcast)
	s.expectAck("env-n4")
	edited := threadMessageEnvelope("env-n5", "EvN5", "UCAROL01", "note: edited", "1700000400.000400", ts)
	edited["payload"].(map[string]any)["event"].(map[string]any)["subtype"] = "message_changed"
	s.send(edited)
	s.expectAck("env-n5")
	var notes []model.AlertNote
	for time.Now().Before(deadline) {
		if notes, _ = st.Notes(ctx, a.ID, 10); len(notes) >= 2 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	respURL := fmt.Sprintf("http://%s/response/1", f.srv.ServerAddr)
	s.send(slashEnvelope("env-n3", "UBOB0001", fmt.Sprintf("notes %d", a.ID), respURL))
	s.expectAck("env-n3")
	reply := string(within(t, f.responses, "the notes reply"))
	for _, want := range []string{"2 notes on alert #" + strconv.FormatInt(a.ID, 10), "also in the channel", "sent to the delegation \\u0026lt;3", "Done by bob"} {
		if !strings.Contains(reply, want) {
			t.Errorf("notes reply lacks %q:\n%s", want, reply)
		}
	}
	if strings.Contains(reply, "just chatting") || strings.Contains(reply, "edited") {
		t.Errorf("a reply without note: was kept:\n%s", reply)
	}
	_ = logs
}

// The last blocks of an alert as its claim changes, golden; a hostile
// display name stays text and pings nobody.
func TestClaimBlocksGolden(t *testing.T) {
	f := newFakeSlack(t)
	c, _ := newTestClient(t, f, nil)
	a := bottest.NewIP()
	ts, err := c.Send(context.Background(), notify.Outgoing{DeliveryID: 7, Alert: a, Target: "#itu-alerts", Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	within(t, f.posted, "the alert")
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		golden string
		claim  *model.AlertClaim
	}{
		{"alert_claimed.golden.json", &model.AlertClaim{AlertID: a.ID, State: model.Claimed, By: model.Person{Platform: "slack", ID: "UEVE0001", Name: "<!channel> <@U123> *Eve* <https://evil.example|x>"}, At: at}},
		{"alert_done.golden.json", &model.AlertClaim{AlertID: a.ID, State: model.Done, By: model.Person{Platform: "slack", ID: "UEVE0001", Name: "Eve"}, Note: "sent comments to the delegation <!here>", At: at}},
	} {
		if err := c.Edit(context.Background(), notify.Edit{Alert: a, Claim: tt.claim, Target: "#itu-alerts", ExternalID: ts, DeliveryID: 7}); err != nil {
			t.Fatalf("Edit: %v", err)
		}
		up := within(t, f.updated, "the chat.update")
		body := prettyBlocks(t, up)
		if anyAngle.Match(bytes.ReplaceAll(body, []byte("<https://www.itu.int/en/news/tsag-new-ip|"), nil)) {
			t.Errorf("markup from a display name or note reached Slack:\n%s", body)
		}
		golden(t, tt.golden, body)
	}
	// A message Slack no longer has: the edit is given up, not retried.
	err = c.Edit(context.Background(), notify.Edit{Alert: a, Target: "#itu-alerts", ExternalID: "1.000000", DeliveryID: 7})
	if !notify.IsPermanent(err) {
		t.Errorf("edit of a deleted message: %v, want a permanent error", err)
	}
}
