package slack

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"
)

const (
	testBotToken = "xoxb-test-0000-secret"
	testAppToken = "xapp-1-test-secret"
	testBotUser  = "UBOT0001"
	alertsID     = "C0ITUALRT"
)

// fakeSlack is slacktest's server with the Web API methods ituwatch uses
// answered the way Slack answers them, plus a scripted Socket Mode
// websocket. Everything listens on loopback.
type fakeSlack struct {
	t   *testing.T
	srv *slacktest.Server

	mu         sync.Mutex
	calls      map[string]int
	posts      []url.Values // accepted and refused chat.postMessage forms
	ephemerals []url.Values
	messages   map[string][]storedMessage // channel id -> messages, oldest first
	channels   map[string]string          // name -> id
	admins     map[string]bool            // users.info is_admin
	tsSeq      int
	// failPost, when set, answers chat.postMessage instead of accepting it;
	// it gets the 1-based number of the call and returns false to accept.
	failPost func(n int, w http.ResponseWriter) bool
	// unavailable holds methods answered with HTTP 503, as Slack does in
	// an outage.
	unavailable map[string]bool

	posted    chan url.Values // every accepted chat.postMessage
	updated   chan url.Values // every accepted chat.update (claim_test.go)
	responses chan []byte     // every response_url POST body
	socket    chan *websocket.Conn
}

type storedMessage struct {
	TS       string
	ThreadTS string
	Metadata slack.SlackMetadata
	Text     string
}

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{
		t:         t,
		calls:     map[string]int{},
		messages:  map[string][]storedMessage{},
		channels:  map[string]string{"itu-alerts": alertsID, "policy": "C0POLICY1"},
		admins:    map[string]bool{"UCAROL01": true},
		posted:    make(chan url.Values, 100),
		updated:   make(chan url.Values, 100),
		responses: make(chan []byte, 100),
		socket:    make(chan *websocket.Conn, 1),
	}
	f.srv = slacktest.NewTestServer(func(c slacktest.Customize) {
		c.Handle("/chat.postMessage", f.postMessage)
		c.Handle("/chat.postEphemeral", f.postEphemeral)
		c.Handle("/chat.update", f.chatUpdate)
		c.Handle("/conversations.history", f.history)
		c.Handle("/conversations.replies", f.replies)
		c.Handle("/conversations.list", f.list)
		c.Handle("/conversations.open", f.openConversation) // personal_test.go
		c.Handle("/users.info", f.usersInfo)
		c.Handle("/auth.test", f.authTest)
		c.Handle("/apps.connections.open", f.connectionsOpen)
		c.Handle("/socket", f.websocket)
		c.Handle("/response/", f.response)
	})
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *fakeSlack) apiURL() string { return f.srv.GetAPIURL() }

func (f *fakeSlack) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fakeSlack) acceptedPosts() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []url.Values
	for _, p := range f.posts {
		if p.Get("_accepted") == "1" {
			out = append(out, p)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func slackError(w http.ResponseWriter, code string) {
	writeJSON(w, map[string]any{"ok": false, "error": code})
}

// form reads a form-encoded Web API call and checks the bot token came with it.
func (f *fakeSlack) form(w http.ResponseWriter, r *http.Request, method string) (url.Values, bool) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return nil, false
	}
	f.mu.Lock()
	f.calls[method]++
	down := f.unavailable[method]
	f.mu.Unlock()
	if down {
		http.Error(w, "upstream connect error", http.StatusServiceUnavailable)
		return nil, false
	}
	tok := r.Form.Get("token")
	if tok == "" {
		tok = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if tok != testBotToken {
		slackError(w, "invalid_auth")
		return nil, false
	}
	return r.Form, true
}

func (f *fakeSlack) resolve(ch string) (string, bool) {
	if strings.HasPrefix(ch, "C") && !strings.HasPrefix(ch, "#") {
		for _, id := range f.channels {
			if id == ch {
				return id, true
			}
		}
		return "", false
	}
	id, ok := f.channels[strings.TrimPrefix(ch, "#")]
	return id, ok
}

func (f *fakeSlack) postMessage(w http.ResponseWriter, r *http.Request) {
	v, ok := f.form(w, r, "chat.postMessage")
	if !ok {
		return
	}
	f.mu.Lock()
	n := f.calls["chat.postMessage"]
	fail := f.failPost
	f.posts = append(f.posts, v)
	f.mu.Unlock()
	if fail != nil && fail(n, w) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id, found := f.resolve(v.Get("channel"))
	if !found {
		slackError(w, "channel_not_found")
		return
	}
	f.tsSeq++
	ts := fmt.Sprintf("%d.%06d", time.Now().Unix(), f.tsSeq)
	var meta slack.SlackMetadata
	if m := v.Get("metadata"); m != "" {
		if err := json.Unmarshal([]byte(m), &meta); err != nil {
			slackError(w, "invalid_metadata_format")
			return
		}
	}
	f.messages[id] = append(f.messages[id], storedMessage{TS: ts, ThreadTS: v.Get("thread_ts"), Metadata: meta, Text: v.Get("text")})
	v.Set("_accepted", "1")
	v.Set("_ts", ts)
	f.posted <- v
	writeJSON(w, map[string]any{"ok": true, "channel": id, "ts": ts, "message": map[string]any{"ts": ts, "text": v.Get("text")}})
}

func (f *fakeSlack) postEphemeral(w http.ResponseWriter, r *http.Request) {
	v, ok := f.form(w, r, "chat.postEphemeral")
	if !ok {
		return
	}
	f.mu.Lock()
	f.ephemerals = append(f.ephemerals, v)
	f.mu.Unlock()
	writeJSON(w, map[string]any{"ok": true, "message_ts": "1700000001.000001"})
}

// messagesJSON renders stored messages as Slack does; metadata only when
// include_all_metadata asked for it.
func messagesJSON(msgs []storedMessage, withMeta bool) []map[string]any {
	var out []map[string]any
	for _, m := range msgs {
		o := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "bot_id": "B1"}
		if m.ThreadTS != "" {
			o["thread_ts"] = m.ThreadTS
		}
		if withMeta && m.Metadata.EventType != "" {
			o["metadata"] = m.Metadata
		}
		out = append(out, o)
	}
	return out
}

func (f *fakeSlack) selectMessages(v url.Values, keep func(storedMessage) bool) ([]storedMessage, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, found := f.resolve(v.Get("channel"))
	if !found {
		return nil, false
	}
	oldest, _ := strconv.ParseFloat(v.Get("oldest"), 64)
	limit, _ := strconv.Atoi(v.Get("limit"))
	var out []storedMessage
	for _, m := range f.messages[id] {
		ts, _ := strconv.ParseFloat(m.TS, 64)
		if ts >= oldest && keep(m) {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TS > out[j].TS }) // newest first
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, true
}

func (f *fakeSlack) history(w http.ResponseWriter, r *http.Request) {
	v, ok := f.form(w, r, "conversations.history")
	if !ok {
		return
	}
	msgs, found := f.selectMessages(v, func(m storedMessage) bool { return m.ThreadTS == "" })
	if !found {
		slackError(w, "channel_not_found")
		return
	}
	writeJSON(w, map[string]any{"ok": true, "messages": messagesJSON(msgs, v.Get("include_all_metadata") == "1")})
}

func (f *fakeSlack) replies(w http.ResponseWriter, r *http.Request) {
	v, ok := f.form(w, r, "conversations.replies")
	if !ok {
		return
	}
	parent := v.Get("ts")
	msgs, found := f.selectMessages(v, func(m storedMessage) bool { return m.TS == parent || m.ThreadTS == parent })
	if !found {
		slackError(w, "channel_not_found")
		return
	}
	writeJSON(w, map[string]any{"ok": true, "messages": messagesJSON(msgs, v.Get("include_all_metadata") == "1")})
}

func (f *fakeSlack) list(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.form(w, r, "conversations.list"); !ok {
		return
	}
	f.mu.Lock()
	var chans []map[string]any
	for name, id := range f.channels {
		chans = append(chans, map[string]any{"id": id, "name": name, "is_channel": true})
	}
	f.mu.Unlock()
	writeJSON(w, map[string]any{"ok": true, "channels": chans, "response_metadata": map[string]any{"next_cursor": ""}})
}

func (f *fakeSlack) usersInfo(w http.ResponseWriter, r *http.Request) {
	v, ok := f.form(w, r, "users.info")
	if !ok {
		return
	}
	id := v.Get("user")
	f.mu.Lock()
	admin := f.admins[id]
	f.mu.Unlock()
	writeJSON(w, map[string]any{"ok": true, "user": map[string]any{"id": id, "name": strings.ToLower(id), "is_admin": admin}})
}

func (f *fakeSlack) authTest(w http.ResponseWriter, r *http.Request) {
	if _, ok := f.form(w, r, "auth.test"); !ok {
		return
	}
	writeJSON(w, map[string]any{"ok": true, "user_id": testBotUser, "user": "ituwatch", "team_id": "T0TEAM", "team": "Policy"})
}

func (f *fakeSlack) connectionsOpen(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls["apps.connections.open"]++
	down := f.unavailable["apps.connections.open"]
	f.mu.Unlock()
	if down {
		http.Error(w, "upstream connect error", http.StatusServiceUnavailable)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+testAppToken {
		slackError(w, "invalid_auth")
		return
	}
	writeJSON(w, map[string]any{"ok": true, "url": "ws://" + f.srv.ServerAddr + "/socket"})
}

// websocket upgrades and hands the connection to the test, which scripts it.
func (f *fakeSlack) websocket(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		f.t.Errorf("websocket upgrade: %v", err)
		return
	}
	f.socket <- conn
}

func (f *fakeSlack) response(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.responses <- body
	_, _ = w.Write([]byte("ok"))
}
