package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSlackAPI answers the Slack Web API methods ituwatch uses (auth.test,
// chat.postMessage, conversations.history, .replies and .list) with Slack's
// JSON shapes, on loopback, for tests that run the real binary. It can be
// down (HTTP 503 to everything) and can hold an accepted message without
// answering, which is the moment a crash must not turn into a duplicate.
type fakeSlackAPI struct {
	t     *testing.T
	srv   *httptest.Server
	token string

	mu        sync.Mutex
	posts     []slackPost // accepted chat.postMessage, in order
	attempts  int         // every chat.postMessage, refused ones too
	tsSeq     int
	down      bool
	holdNext  bool           // hold the next accepted post until the client hangs up
	held      chan slackPost // a held post, after it was stored
	accepted  chan slackPost // every accepted post
	attempted chan struct{}  // every chat.postMessage
	calls     map[string]int
	socketMode
}

type slackPost struct {
	AlertID, DeliveryID int64
	Channel, TS         string
	ThreadTS            string
	Text                string
	Blocks              string // the Block Kit JSON as posted
}

const fakeChannelID = "C0ITUALRT"

func newFakeSlackAPI(t *testing.T, token string) *fakeSlackAPI {
	f := newUnstartedFakeSlackAPI(t, token)
	f.srv.Start()
	return f
}

// newUnstartedFakeSlackAPI is a fake whose server the test starts, so that
// Slack can be unreachable first.
func newUnstartedFakeSlackAPI(t *testing.T, token string) *fakeSlackAPI {
	f := &fakeSlackAPI{t: t, token: token, held: make(chan slackPost, 4), accepted: make(chan slackPost, 256), attempted: make(chan struct{}, 256), calls: map[string]int{}}
	f.sockets = make(chan struct{}, 64)
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() { f.dropSockets(); f.srv.CloseClientConnections(); f.srv.Close() })
	return f
}

func (f *fakeSlackAPI) url() string { return f.srv.URL + "/api/" }

func (f *fakeSlackAPI) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

func (f *fakeSlackAPI) setHoldNext() {
	f.mu.Lock()
	f.holdNext = true
	f.mu.Unlock()
}

func (f *fakeSlackAPI) accepted_() []slackPost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]slackPost(nil), f.posts...)
}

func (f *fakeSlackAPI) postAttempts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts
}

func fakeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeSlackAPI) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == socketPath {
		f.socket(w, r)
		return
	}
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.calls[method]++
	down := f.down
	if method == "chat.postMessage" {
		f.attempts++
	}
	f.mu.Unlock()
	if method == "chat.postMessage" {
		select {
		case f.attempted <- struct{}{}:
		default:
		}
	}
	if down {
		http.Error(w, "upstream connect error", http.StatusServiceUnavailable)
		return
	}
	tok := r.Form.Get("token")
	if tok == "" {
		tok = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if method == "apps.connections.open" {
		f.connectionsOpen(w, tok)
		return
	}
	if tok != f.token {
		fakeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	switch method {
	case "auth.test":
		fakeJSON(w, map[string]any{"ok": true, "url": "https://policy.slack.example/", "team": "Policy", "user": "ituwatch", "team_id": "T0TEAM", "user_id": "UBOT0001", "bot_id": "B0BOT"})
	case "conversations.list":
		fakeJSON(w, map[string]any{"ok": true,
			"channels":          []map[string]any{{"id": fakeChannelID, "name": "itu-alerts", "is_channel": true, "is_member": true}},
			"response_metadata": map[string]any{"next_cursor": ""}})
	case "conversations.history", "conversations.replies":
		f.history(w, r.Form, method == "conversations.replies")
	case "chat.postMessage":
		f.post(w, r)
	default:
		fakeJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func (f *fakeSlackAPI) channelOK(ch string) bool {
	return ch == fakeChannelID || strings.TrimPrefix(ch, "#") == "itu-alerts"
}

func (f *fakeSlackAPI) post(w http.ResponseWriter, r *http.Request) {
	v := r.Form
	if !f.channelOK(v.Get("channel")) {
		fakeJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	}
	var meta struct {
		EventType    string         `json:"event_type"`
		EventPayload map[string]any `json:"event_payload"`
	}
	if m := v.Get("metadata"); m != "" {
		if err := json.Unmarshal([]byte(m), &meta); err != nil {
			fakeJSON(w, map[string]any{"ok": false, "error": "invalid_metadata_format"})
			return
		}
	}
	f.mu.Lock()
	f.tsSeq++
	p := slackPost{
		AlertID:    payloadID(meta.EventPayload["alert_id"]),
		DeliveryID: payloadID(meta.EventPayload["delivery_id"]),
		Channel:    fakeChannelID,
		TS:         fmt.Sprintf("%d.%06d", time.Now().Unix(), f.tsSeq),
		ThreadTS:   v.Get("thread_ts"),
		Text:       v.Get("text"),
		Blocks:     v.Get("blocks"),
	}
	f.posts = append(f.posts, p)
	hold := f.holdNext
	f.holdNext = false
	f.mu.Unlock()
	f.accepted <- p
	if hold {
		// Slack has the message; its answer never comes.
		f.held <- p
		<-r.Context().Done()
		return
	}
	fakeJSON(w, map[string]any{"ok": true, "channel": fakeChannelID, "ts": p.TS,
		"message": map[string]any{"type": "message", "ts": p.TS, "text": p.Text, "bot_id": "B0BOT"}})
}

func payloadID(v any) int64 {
	switch x := v.(type) {
	case float64:
		return int64(x)
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// history lists messages newest first from oldest on, as Slack does, with
// metadata only when include_all_metadata asked for it.
func (f *fakeSlackAPI) history(w http.ResponseWriter, v url.Values, replies bool) {
	if !f.channelOK(v.Get("channel")) {
		fakeJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	}
	oldest, _ := strconv.ParseFloat(v.Get("oldest"), 64)
	withMeta := v.Get("include_all_metadata") == "1" || v.Get("include_all_metadata") == "true"
	f.mu.Lock()
	var msgs []slackPost
	for _, p := range f.posts {
		ts, _ := strconv.ParseFloat(p.TS, 64)
		if ts < oldest {
			continue
		}
		if replies && p.TS != v.Get("ts") && p.ThreadTS != v.Get("ts") {
			continue
		}
		if !replies && p.ThreadTS != "" {
			continue
		}
		msgs = append(msgs, p)
	}
	f.mu.Unlock()
	sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].TS > msgs[j].TS })
	out := []map[string]any{}
	for _, p := range msgs {
		m := map[string]any{"type": "message", "ts": p.TS, "text": p.Text, "bot_id": "B0BOT"}
		if p.ThreadTS != "" {
			m["thread_ts"] = p.ThreadTS
		}
		if withMeta {
			m["metadata"] = map[string]any{"event_type": "ituwatch_alert", "event_payload": map[string]any{"alert_id": p.AlertID, "delivery_id": p.DeliveryID}}
		}
		out = append(out, m)
	}
	fakeJSON(w, map[string]any{"ok": true, "messages": out, "has_more": false})
}
