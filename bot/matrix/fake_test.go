package matrix

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/bot/chat"
)

const (
	testToken    = "syt_aXR1d2F0Y2g_secretsecret_0000"
	testPassword = "correct horse battery staple"
	botUser      = "@ituwatch:example.org"
	botDevice    = "ITUDEVICE"
	alertsRoom   = "!alerts:example.org"
	// waitLimit only guards against a hung test; synchronisation is by
	// channels, never by sleeping.
	waitLimit = 10 * time.Second
)

// fakeHomeserver answers the Matrix client-server endpoints the bot uses,
// with the spec's JSON shapes. Everything listens on loopback.
type fakeHomeserver struct {
	t   *testing.T
	srv *httptest.Server

	mu          sync.Mutex
	tokens      map[string]string // access token -> device id
	tokenUsers  map[string]string // access token -> user id; the bot when absent
	password    string
	logins      []map[string]any
	calls       map[string]int
	txns        map[string]string // "room/txn" -> event id, for idempotent sends
	sendTxns    []string          // txn id of every send request, accepted or not
	events      []sentEvent       // accepted, deduplicated
	seq         int
	batch       int
	pending     []map[string]any // rooms sections waiting for the next /sync
	powerLevels map[string]map[string]any
	aliases     map[string]string
	// failSend, when set, answers a send instead of accepting it; it gets
	// the 1-based number of the send request and returns false to accept.
	failSend func(n int, w http.ResponseWriter) bool
	// failSync, when set and returning true, has answered a /sync itself.
	failSync func(w http.ResponseWriter) bool

	pushed   chan struct{}
	inflight sync.WaitGroup // /sync requests being answered
	sent     chan sentEvent // every newly accepted event
	joins    chan string
	leaves   chan leaveCall
	syncs    chan string // the since parameter of every /sync
	upload   chan map[string]any
	// deviceKeys holds uploaded device keys: user -> device -> keys.
	deviceKeys map[string]map[string]any
	// oneTimeKeys holds unclaimed one-time keys: "user|device" -> key id -> key.
	oneTimeKeys map[string]map[string]any
	// toDevice queues to-device events: "user|device" -> events.
	toDevice map[string][]any
	// direct holds account data and created rooms (personal_test.go).
	direct fakeDirect
}

// caller returns the user and device an access token belongs to.
func (f *fakeHomeserver) caller(r *http.Request) (user, device string) {
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	defer f.mu.Unlock()
	user = f.tokenUsers[token]
	if user == "" {
		user = botUser
	}
	return user, f.tokens[token]
}

// addUser gives another user a token and a device, for a second client.
func (f *fakeHomeserver) addUser(user, device, token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[token] = device
	f.tokenUsers[token] = user
}

// takeToDevice returns and forgets the to-device events for a device.
func (f *fakeHomeserver) takeToDevice(user, device string) []any {
	f.mu.Lock()
	defer f.mu.Unlock()
	evs := f.toDevice[user+"|"+device]
	delete(f.toDevice, user+"|"+device)
	return evs
}

type sentEvent struct {
	Room    string
	Type    string
	Txn     string
	EventID string
	Content map[string]any
	Raw     json.RawMessage
}

type leaveCall struct {
	Room   string
	Reason string
}

func newFakeHomeserver(t *testing.T) *fakeHomeserver {
	t.Helper()
	f := &fakeHomeserver{
		t:           t,
		tokens:      map[string]string{testToken: botDevice},
		tokenUsers:  map[string]string{},
		oneTimeKeys: map[string]map[string]any{},
		toDevice:    map[string][]any{},
		password:    testPassword,
		calls:       map[string]int{},
		txns:        map[string]string{},
		powerLevels: map[string]map[string]any{},
		aliases:     map[string]string{},
		pushed:      make(chan struct{}, 1),
		sent:        make(chan sentEvent, 100),
		joins:       make(chan string, 100),
		leaves:      make(chan leaveCall, 100),
		syncs:       make(chan string, 1000),
		upload:      make(chan map[string]any, 100),
		deviceKeys:  map[string]map[string]any{},
	}
	const p = "/_matrix/client/v3/"
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p+"account/whoami", f.auth(f.whoami))
	mux.HandleFunc("POST "+p+"login", f.handleLogin)
	mux.HandleFunc("POST "+p+"user/{user}/filter", f.auth(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"filter_id": "f1"})
	}))
	mux.HandleFunc("GET "+p+"sync", f.auth(f.sync))
	join := f.auth(func(w http.ResponseWriter, r *http.Request) {
		f.joins <- r.PathValue("room")
		writeJSON(w, 200, map[string]any{"room_id": r.PathValue("room")})
	})
	mux.HandleFunc("POST "+p+"join/{room}", join)
	mux.HandleFunc("POST "+p+"rooms/{room}/join", join)
	mux.HandleFunc("POST "+p+"rooms/{room}/leave", f.auth(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Reason string `json:"reason"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.leaves <- leaveCall{Room: r.PathValue("room"), Reason: body.Reason}
		writeJSON(w, 200, map[string]any{})
	}))
	mux.HandleFunc("PUT "+p+"rooms/{room}/send/{type}/{txn}", f.auth(f.send))
	mux.HandleFunc("GET "+p+"rooms/{room}/state/{rest...}", f.auth(f.state))
	mux.HandleFunc("GET "+p+"directory/room/{alias}", f.auth(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		room, ok := f.aliases[r.PathValue("alias")]
		f.mu.Unlock()
		if !ok {
			writeJSON(w, 404, map[string]any{"errcode": "M_NOT_FOUND", "error": "Room alias not found"})
			return
		}
		writeJSON(w, 200, map[string]any{"room_id": room, "servers": []string{"example.org"}})
	}))
	// End-to-end encryption: the keys the crypto helper uploads and asks for.
	mux.HandleFunc("POST "+p+"keys/upload", f.auth(f.keysUpload))
	mux.HandleFunc("POST "+p+"keys/query", f.auth(f.keysQuery))
	mux.HandleFunc("POST "+p+"keys/claim", f.auth(f.keysClaim))
	mux.HandleFunc("PUT "+p+"sendToDevice/{type}/{txn}", f.auth(f.sendToDevice))
	f.directHandlers(mux, p)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("fake homeserver: unexpected %s %s", r.Method, r.URL.Path)
		writeJSON(w, 404, map[string]any{"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeHomeserver) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeHomeserver) loginCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.logins)
}

func (f *fakeHomeserver) login(i int) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins[i]
}

func (f *fakeHomeserver) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		_, ok := f.tokens[token]
		f.calls[r.Pattern]++
		f.mu.Unlock()
		if !ok {
			writeJSON(w, 401, map[string]any{"errcode": "M_UNKNOWN_TOKEN", "error": "Invalid access token passed."})
			return
		}
		next(w, r)
	}
}

func (f *fakeHomeserver) whoami(w http.ResponseWriter, r *http.Request) {
	user, device := f.caller(r)
	writeJSON(w, 200, map[string]any{"user_id": user, "device_id": device})
}

func (f *fakeHomeserver) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, 400, map[string]any{"errcode": "M_NOT_JSON", "error": "bad json"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logins = append(f.logins, req)
	ident, _ := req["identifier"].(map[string]any)
	if req["type"] != "m.login.password" || ident["user"] != botUser || req["password"] != f.password {
		writeJSON(w, 403, map[string]any{"errcode": "M_FORBIDDEN", "error": "Invalid username or password"})
		return
	}
	device, _ := req["device_id"].(string)
	if device == "" {
		device = fmt.Sprintf("NEWDEV%d", len(f.logins))
	}
	token := fmt.Sprintf("syt_login_%d_secret", len(f.logins))
	f.tokens[token] = device
	writeJSON(w, 200, map[string]any{"user_id": botUser, "access_token": token, "device_id": device})
}

// push queues a rooms section for the next /sync answer.
func (f *fakeHomeserver) push(rooms map[string]any) {
	f.mu.Lock()
	f.pending = append(f.pending, rooms)
	f.mu.Unlock()
	select {
	case f.pushed <- struct{}{}:
	default:
	}
}

func (f *fakeHomeserver) sync(w http.ResponseWriter, r *http.Request) {
	f.inflight.Add(1)
	defer f.inflight.Done()
	user, device := f.caller(r)
	since := r.URL.Query().Get("since")
	f.syncs <- since
	f.mu.Lock()
	fail := f.failSync
	f.mu.Unlock()
	if fail != nil && fail(w) {
		return
	}
	for {
		f.mu.Lock()
		if len(f.pending) > 0 {
			rooms := f.pending[0]
			f.pending = f.pending[1:]
			f.batch++
			next := fmt.Sprintf("s%d", f.batch)
			toDevice := f.toDevice[user+"|"+device]
			delete(f.toDevice, user+"|"+device)
			f.mu.Unlock()
			writeJSON(w, 200, map[string]any{"next_batch": next, "rooms": rooms, "to_device": map[string]any{"events": toDevice}})
			return
		}
		next := fmt.Sprintf("s%d", f.batch)
		f.mu.Unlock()
		if r.URL.Query().Get("timeout") == "0" {
			writeJSON(w, 200, map[string]any{"next_batch": next})
			return
		}
		select {
		case <-f.pushed:
		case <-r.Context().Done():
			return
		}
	}
}

// waitSyncsEnded returns once no /sync is being answered, so that a stopped
// client's long poll cannot take a batch meant for the next one.
func (f *fakeHomeserver) waitSyncsEnded(t *testing.T) {
	t.Helper()
	done := make(chan struct{})
	go func() { f.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(waitLimit):
		t.Fatal("a /sync request did not end after its client stopped")
	}
}

func (f *fakeHomeserver) send(w http.ResponseWriter, r *http.Request) {
	room, typ, txn := r.PathValue("room"), r.PathValue("type"), r.PathValue("txn")
	raw, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.sendTxns = append(f.sendTxns, txn)
	n := len(f.sendTxns)
	fail := f.failSend
	f.mu.Unlock()
	if fail != nil && fail(n, w) {
		return
	}
	f.mu.Lock()
	key := room + "/" + txn
	if id, ok := f.txns[key]; ok {
		f.mu.Unlock()
		writeJSON(w, 200, map[string]any{"event_id": id})
		return
	}
	f.seq++
	eventID := fmt.Sprintf("$ev%d", f.seq)
	f.txns[key] = eventID
	var content map[string]any
	if err := json.Unmarshal(raw, &content); err != nil {
		f.t.Errorf("send %s: body is not JSON: %v", txn, err)
	}
	ev := sentEvent{Room: room, Type: typ, Txn: txn, EventID: eventID, Content: content, Raw: raw}
	f.events = append(f.events, ev)
	f.mu.Unlock()
	f.sent <- ev
	writeJSON(w, 200, map[string]any{"event_id": eventID})
}

func (f *fakeHomeserver) state(w http.ResponseWriter, r *http.Request) {
	typ := strings.TrimSuffix(r.PathValue("rest"), "/")
	f.mu.Lock()
	pl, ok := f.powerLevels[r.PathValue("room")]
	f.mu.Unlock()
	if typ != "m.room.power_levels" || !ok {
		writeJSON(w, 404, map[string]any{"errcode": "M_NOT_FOUND", "error": "Event not found."})
		return
	}
	writeJSON(w, 200, pl)
}

func (f *fakeHomeserver) keysUpload(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	user, device := f.caller(r)
	if otks, ok := body["one_time_keys"].(map[string]any); ok && len(otks) > 0 {
		f.mu.Lock()
		if f.oneTimeKeys[user+"|"+device] == nil {
			f.oneTimeKeys[user+"|"+device] = map[string]any{}
		}
		for id, key := range otks {
			f.oneTimeKeys[user+"|"+device][id] = key
		}
		f.mu.Unlock()
	}
	if dk, ok := body["device_keys"].(map[string]any); ok {
		user, _ := dk["user_id"].(string)
		device, _ := dk["device_id"].(string)
		f.mu.Lock()
		if f.deviceKeys[user] == nil {
			f.deviceKeys[user] = map[string]any{}
		}
		f.deviceKeys[user][device] = dk
		f.mu.Unlock()
	}
	f.upload <- body
	count := 0
	if otk, ok := body["one_time_keys"].(map[string]any); ok {
		count = len(otk)
	}
	writeJSON(w, 200, map[string]any{"one_time_key_counts": map[string]int{"signed_curve25519": count}})
}

func (f *fakeHomeserver) keysClaim(w http.ResponseWriter, r *http.Request) {
	var body struct {
		OneTimeKeys map[string]map[string]string `json:"one_time_keys"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	out := map[string]any{}
	f.mu.Lock()
	for user, devices := range body.OneTimeKeys {
		claimed := map[string]any{}
		for device := range devices {
			for id, key := range f.oneTimeKeys[user+"|"+device] {
				claimed[device] = map[string]any{id: key}
				delete(f.oneTimeKeys[user+"|"+device], id)
				break
			}
		}
		out[user] = claimed
	}
	f.mu.Unlock()
	writeJSON(w, 200, map[string]any{"one_time_keys": out, "failures": map[string]any{}})
}

func (f *fakeHomeserver) sendToDevice(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Messages map[string]map[string]any `json:"messages"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	sender, _ := f.caller(r)
	f.mu.Lock()
	for user, devices := range body.Messages {
		for device, content := range devices {
			targets := []string{device}
			if device == "*" {
				targets = nil
				for d := range f.deviceKeys[user] {
					targets = append(targets, d)
				}
			}
			for _, d := range targets {
				f.toDevice[user+"|"+d] = append(f.toDevice[user+"|"+d], map[string]any{"type": r.PathValue("type"), "sender": sender, "content": content})
			}
		}
	}
	f.mu.Unlock()
	writeJSON(w, 200, map[string]any{})
}

func (f *fakeHomeserver) keysQuery(w http.ResponseWriter, r *http.Request) {
	var body struct {
		DeviceKeys map[string][]string `json:"device_keys"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	out := map[string]any{}
	f.mu.Lock()
	for user := range body.DeviceKeys {
		devices := map[string]any{}
		for device, keys := range f.deviceKeys[user] {
			devices[device] = keys
		}
		out[user] = devices
	}
	f.mu.Unlock()
	writeJSON(w, 200, map[string]any{"device_keys": out, "failures": map[string]any{}})
}

// waitSent returns the next accepted event.
func (f *fakeHomeserver) waitSent(t *testing.T) sentEvent {
	t.Helper()
	select {
	case ev := <-f.sent:
		return ev
	case <-time.After(waitLimit):
		t.Fatal("timed out waiting for the bot to send an event")
	}
	return sentEvent{}
}

// waitSince returns once a /sync with the given since parameter arrived.
func (f *fakeHomeserver) waitSince(t *testing.T, since string) {
	t.Helper()
	for {
		select {
		case got := <-f.syncs:
			if got == since {
				return
			}
		case <-time.After(waitLimit):
			t.Fatalf("timed out waiting for /sync?since=%s", since)
		}
	}
}

// memState is the store's key/value state in memory.
type memState struct {
	mu sync.Mutex
	kv map[string]string
}

func newMemState() *memState { return &memState{kv: map[string]string{}} }

func (m *memState) GetState(_ context.Context, key string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.kv[key]
	return v, ok, nil
}

func (m *memState) SetState(_ context.Context, key, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.kv[key] = value
	return nil
}

// logBuffer collects the adapter's log lines for secret checks.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// newTestClient logs in with the access token against f.
func newTestClient(t *testing.T, f *fakeHomeserver, state StateStore, mutate func(*Options)) (*Client, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	opts := Options{
		Homeserver:  f.srv.URL,
		AccessToken: testToken,
		State:       state,
		Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTPClient:  f.srv.Client(),
	}
	if mutate != nil {
		mutate(&opts)
	}
	c, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		for _, secret := range []string{testToken, testPassword} {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("a secret was logged:\n%s", logs.String())
			}
		}
	})
	return c, logs
}

// listen runs c.Listen until the test ends.
func listen(t *testing.T, c *Client, h chat.Handler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Listen(ctx, h, nil) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Listen returned %v after cancel, want nil", err)
			}
		case <-time.After(waitLimit):
			t.Error("Listen did not return after cancel")
		}
	})
}

// fakeHandler answers every command with a fixed reply and records requests.
type fakeHandler struct {
	mu    sync.Mutex
	reqs  []chat.Request
	reply chat.Reply
}

func (h *fakeHandler) Handle(_ context.Context, req chat.Request) chat.Reply {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reqs = append(h.reqs, req)
	return h.reply
}

func (h *fakeHandler) requests() []chat.Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]chat.Request(nil), h.reqs...)
}

// Sync JSON builders, in the spec's shapes.

func inviteRooms(room, inviter string) map[string]any {
	return map[string]any{"invite": map[string]any{room: map[string]any{
		"invite_state": map[string]any{"events": []any{
			map[string]any{"type": "m.room.name", "state_key": "", "sender": inviter, "content": map[string]any{"name": "ITU watch"}},
			map[string]any{"type": "m.room.member", "state_key": botUser, "sender": inviter, "content": map[string]any{"membership": "invite"}},
		}},
	}}}
}

func joinRooms(room string, state []any, timeline ...any) map[string]any {
	return map[string]any{"join": map[string]any{room: map[string]any{
		"state":    map[string]any{"events": state},
		"timeline": map[string]any{"events": timeline, "limited": false},
	}}}
}

var evSeq int

func msgEvent(sender, msgtype, body string) map[string]any {
	evSeq++
	return map[string]any{
		"type":             "m.room.message",
		"event_id":         fmt.Sprintf("$in%d", evSeq),
		"sender":           sender,
		"origin_server_ts": 1767225600000 + evSeq,
		"content":          map[string]any{"msgtype": msgtype, "body": body},
	}
}
