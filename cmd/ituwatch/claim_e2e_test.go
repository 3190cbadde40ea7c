package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/chat"
)

// update answers chat.update for a message the fake holds.
func (f *fakeSlackAPI) update(w http.ResponseWriter, r *http.Request) {
	v := r.Form
	f.mu.Lock()
	found := false
	for _, p := range f.posts {
		found = found || (p.TS == v.Get("ts") && v.Get("channel") == fakeChannelID)
	}
	ch := f.updated
	f.mu.Unlock()
	if !found {
		fakeJSON(w, map[string]any{"ok": false, "error": "message_not_found"})
		return
	}
	if ch != nil {
		ch <- v
	}
	fakeJSON(w, map[string]any{"ok": true, "channel": fakeChannelID, "ts": v.Get("ts"), "text": v.Get("text")})
}

// sendEnvelope writes a Socket Mode envelope on the open connection.
func (f *fakeSlackAPI) sendEnvelope(t *testing.T, env map[string]any) {
	t.Helper()
	f.smu.Lock()
	defer f.smu.Unlock()
	if len(f.conns) == 0 {
		t.Fatal("no Socket Mode connection to write to")
	}
	if err := f.conns[len(f.conns)-1].WriteJSON(env); err != nil {
		t.Fatalf("write envelope: %v", err)
	}
}

// `ituwatch run` with Slack: a click on an alert's "I'm on it" claims it and
// the alert's message is updated to say who; a "note:" reply in the alert's
// thread is kept, and @ituwatch notes lists it.
func TestRunSlackButtonClaimsAndEditsTheAlert(t *testing.T) {
	fastListenerRetry(t)
	slack := newFakeSlackAPI(t, killTestToken)
	slack.setAppToken(testAppToken)
	slack.updated = make(chan url.Values, 8)
	rig, cfg := newListenerRig(t, slack, slack.url(), nil, "", alertingItems[0])
	d := startRun(t, cfg, rig.env)
	select {
	case <-slack.sockets:
	case <-time.After(listenerWait):
		t.Fatal("no Socket Mode connection")
	}
	d.waitListener(t, "slack", chat.ListenerUp)
	d.until(t, "the alert in Slack", func() bool { return len(slack.accepted_()) == 1 })
	alert := slack.accepted_()[0]

	slack.sendEnvelope(t, map[string]any{
		"envelope_id": "env-click", "type": "interactive",
		"payload": map[string]any{
			"type":      "block_actions",
			"user":      map[string]any{"id": "UDANA001", "username": "dana", "name": "dana", "team_id": "T0TEAM"},
			"team":      map[string]any{"id": "T0TEAM"},
			"channel":   map[string]any{"id": fakeChannelID, "name": "itu-alerts"},
			"container": map[string]any{"type": "message", "message_ts": alert.TS, "channel_id": fakeChannelID},
			"actions": []map[string]any{{"action_id": "ituwatch_claim", "block_id": "ituwatch_claim", "type": "button",
				"value": fmt.Sprint(alert.AlertID), "action_ts": "1700000300.000001"}},
		},
	})
	var up url.Values
	select {
	case up = <-slack.updated:
	case <-time.After(listenerWait):
		t.Fatal("the alert was not updated after the click")
	}
	if up.Get("ts") != alert.TS || up.Get("channel") != fakeChannelID {
		t.Errorf("chat.update of %s/%s, want %s/%s", up.Get("channel"), up.Get("ts"), fakeChannelID, alert.TS)
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(up.Get("blocks")), &blocks); err != nil {
		t.Fatal(err)
	}
	if b := up.Get("blocks"); !strings.Contains(b, "claimed by dana") || !strings.Contains(b, "ituwatch_done") {
		t.Errorf("updated blocks:\n%s", b)
	}

	slack.sendEnvelope(t, map[string]any{
		"envelope_id": "env-note", "type": "events_api",
		"payload": map[string]any{"type": "event_callback", "team_id": "T0TEAM", "api_app_id": "A0APP", "event_id": "EvNote1", "event_time": 1700000000,
			"event": map[string]any{"type": "message", "user": "UDANA001", "text": "note: forwarded to the delegation", "ts": "1700000400.000100",
				"thread_ts": alert.TS, "channel": fakeChannelID, "channel_type": "channel", "event_ts": "1700000400.000100"}},
	})
	// Events are handled in order of arrival per connection only loosely, so
	// ask until the note is there.
	deadline := time.Now().Add(listenerWait)
	for i := 0; ; i++ {
		slack.sendEnvelope(t, map[string]any{
			"envelope_id": fmt.Sprintf("env-notes-%d", i), "type": "events_api",
			"payload": map[string]any{"type": "event_callback", "team_id": "T0TEAM", "api_app_id": "A0APP", "event_id": fmt.Sprintf("EvNotes%d", i), "event_time": 1700000000,
				"event": map[string]any{"type": "app_mention", "user": "UDANA001", "text": fmt.Sprintf("<@UBOT0001> notes %d", alert.AlertID),
					"ts": fmt.Sprintf("1700000500.%06d", i), "channel": fakeChannelID, "event_ts": fmt.Sprintf("1700000500.%06d", i)}},
		})
		var reply slackPost
		select {
		case reply = <-slack.accepted:
		case <-time.After(listenerWait):
			t.Fatal("no answer to @ituwatch notes")
		}
		if strings.HasPrefix(reply.Text, fmt.Sprintf("1 note on alert #%d", alert.AlertID)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the note was not kept; last answer %q", reply.Text)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code := d.stop(t); code != 0 {
		t.Errorf("run exited %d", code)
	}
}

func (f *fakeHomeserver) sendRaw(ev map[string]any) {
	f.mu.Lock()
	f.raw = append(f.raw, ev)
	f.mu.Unlock()
}

func (f *fakeHomeserver) sentContents() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.events...)
}

// `ituwatch run` with Matrix: a 👀 reaction on a posted alert claims it for
// the person who reacted and the alert is edited (m.replace) to say so.
func TestRunMatrixReactionClaimsAndEditsTheAlert(t *testing.T) {
	fastListenerRetry(t)
	hs, hsrv := newListenerHomeserver(t)
	dir := t.TempDir()
	feed := &feedServer{bodies: map[string]string{"/news.rss": rss(alertingItems[0])}}
	fsrv := httptest.NewServer(feed)
	t.Cleanup(func() { fsrv.CloseClientConnections(); fsrv.Close() })
	cfg := fmt.Sprintf(`store: {path: %q}
http: {allow_private_networks: true, timeout: 5s}
sources:
  - {id: policy-news, type: rss, url: "%s/news.rss", schedule: "@every 1s"}
routes:
  - {topics: ["*"], min_severity: low, to: ["matrix:%s"]}
metrics: {listen: "127.0.0.1:0"}
matrix: {homeserver: %q, user_id: "@ituwatch:hs.test", access_token: "${MATRIX_ACCESS_TOKEN}"}
`, filepath.Join(dir, "ituwatch.db"), fsrv.URL, matrixCmdRoom, hsrv.URL)
	path := filepath.Join(dir, "ituwatch.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startRun(t, path, map[string]string{"MATRIX_ACCESS_TOKEN": "syt-test-token"})
	d.until(t, "the alert in Matrix and a resumed sync", func() bool { return len(hs.sentContents()) == 1 && hs.resumedSyncs() > 0 })

	hs.sendRaw(map[string]any{
		"type": "m.reaction", "sender": "@erin:hs.test", "event_id": "$react1", "origin_server_ts": time.Now().UnixMilli(),
		"content": map[string]any{"m.relates_to": map[string]any{"rel_type": "m.annotation", "event_id": "$ev1", "key": "👀"}},
	})
	d.until(t, "the edit", func() bool { return len(hs.sentContents()) == 2 })
	edit := hs.sentContents()[1]
	rel, _ := edit["m.relates_to"].(map[string]any)
	nc, _ := edit["m.new_content"].(map[string]any)
	body, _ := nc["body"].(string)
	if rel["rel_type"] != "m.replace" || rel["event_id"] != "$ev1" || !strings.Contains(body, "Claimed by @erin:hs.test") {
		t.Errorf("edit relates %v with body:\n%s", rel, body)
	}
	if code := d.stop(t); code != 0 {
		t.Errorf("run exited %d", code)
	}
}
