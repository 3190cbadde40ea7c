package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// roomHomeserver is a Matrix homeserver with one room the bot is invited
// to only when the test says so: until it has joined, sends to the room are
// refused with 403 M_FORBIDDEN, as Synapse does. It answers the calls of
// sending (send, joined_rooms) and of the listener (filter, sync, join).
type roomHomeserver struct {
	t    *testing.T
	room string

	mu       sync.Mutex
	invited  bool // the next /sync carries the invite
	joined   bool
	refused  int
	txns     []string // accepted sends, in order, deduplicated
	seen     map[string]bool
	accepted chan string
	invite   chan struct{} // closed by inviteBot
}

func newRoomHomeserver(t *testing.T, room string) (*roomHomeserver, *httptest.Server) {
	h := &roomHomeserver{t: t, room: room, seen: map[string]bool{}, accepted: make(chan string, 64), invite: make(chan struct{})}
	const p = "/_matrix/client/v3/"
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p+"account/whoami", func(w http.ResponseWriter, r *http.Request) {
		matrixJSON(w, 200, map[string]any{"user_id": "@ituwatch:hs.test", "device_id": "DEV1"})
	})
	mux.HandleFunc("POST "+p+"user/{user}/filter", func(w http.ResponseWriter, r *http.Request) {
		matrixJSON(w, 200, map[string]any{"filter_id": "f1"})
	})
	mux.HandleFunc("GET "+p+"sync", h.sync)
	join := func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.joined = r.PathValue("room") == h.room
		h.mu.Unlock()
		matrixJSON(w, 200, map[string]any{"room_id": r.PathValue("room")})
	}
	mux.HandleFunc("POST "+p+"join/{room}", join)
	mux.HandleFunc("POST "+p+"rooms/{room}/join", join)
	mux.HandleFunc("GET "+p+"joined_rooms", func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		rooms := []string{}
		if h.joined {
			rooms = append(rooms, h.room)
		}
		h.mu.Unlock()
		matrixJSON(w, 200, map[string]any{"joined_rooms": rooms})
	})
	mux.HandleFunc("PUT "+p+"rooms/{room}/send/{type}/{txn}", h.send)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		matrixJSON(w, 404, map[string]any{"errcode": "M_UNRECOGNIZED", "error": "not in this fake"})
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer syt-test-token" {
			matrixJSON(w, 401, map[string]any{"errcode": "M_UNKNOWN_TOKEN", "error": "Unknown token"})
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return h, srv
}

func matrixJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// inviteBot has someone of the bot's homeserver invite it to the room.
func (h *roomHomeserver) inviteBot() {
	h.mu.Lock()
	h.invited = true
	h.mu.Unlock()
	close(h.invite)
}

func (h *roomHomeserver) sync(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("since") == "" {
		matrixJSON(w, 200, map[string]any{"next_batch": "s1"})
		return
	}
	// A long poll: answer when the invite happens, or empty after a while.
	select {
	case <-h.invite:
	case <-time.After(500 * time.Millisecond):
	case <-r.Context().Done():
		return
	}
	h.mu.Lock()
	invited := h.invited
	h.invited = false
	h.mu.Unlock()
	if !invited {
		matrixJSON(w, 200, map[string]any{"next_batch": r.URL.Query().Get("since")})
		return
	}
	matrixJSON(w, 200, map[string]any{"next_batch": "s2", "rooms": map[string]any{"invite": map[string]any{h.room: map[string]any{
		"invite_state": map[string]any{"events": []any{
			map[string]any{"type": "m.room.member", "state_key": "@ituwatch:hs.test", "sender": "@alice:hs.test", "content": map[string]any{"membership": "invite"}},
		}},
	}}}})
}

func (h *roomHomeserver) send(w http.ResponseWriter, r *http.Request) {
	room, txn := r.PathValue("room"), r.PathValue("txn")
	h.mu.Lock()
	defer h.mu.Unlock()
	if room != h.room || !h.joined {
		h.refused++
		matrixJSON(w, 403, map[string]any{"errcode": "M_FORBIDDEN", "error": "User @ituwatch:hs.test not in room " + room})
		return
	}
	if !h.seen[txn] { // the homeserver deduplicates a retried transaction
		h.seen[txn] = true
		h.txns = append(h.txns, txn)
		h.accepted <- txn
	}
	matrixJSON(w, 200, map[string]any{"event_id": "$" + txn})
}

func (h *roomHomeserver) state() (refused int, txns []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.refused, append([]string(nil), h.txns...)
}

// runChat runs `ituwatch chat` with the given lines on standard input.
func runChat(t *testing.T, env map[string]string, input string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	e := &cliEnv{stdout: &out, stderr: &errb, stdin: strings.NewReader(input), lookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}}
	if code := runCLI(context.Background(), e, append([]string{"chat"}, args...)); code != 0 {
		t.Fatalf("chat exited %d: %s", code, errb.String())
	}
	return out.String()
}

// TestAlertsBeforeTheInviteReachTheRoomAfterIt is the order docs/matrix.md
// gives: configure the route, start ituwatch, then invite the bot. The
// alerts of the first poll are held (not failed), survive a restart, show
// as held in status, and reach the room in order, once each, within
// seconds of the bot joining, without another restart.
func TestAlertsBeforeTheInviteReachTheRoomAfterIt(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the dispatcher's first retry of a held room (5s)")
	}
	feeds := &feedServer{bodies: map[string]string{"/news.rss": rss(alertingItems...)}}
	feedSrv := httptest.NewServer(feeds)
	defer feedSrv.Close()
	const room = "!alerts:hs.test"
	hs, hsSrv := newRoomHomeserver(t, room)

	dir := t.TempDir()
	cfg := fmt.Sprintf(`store: {path: %s}
http: {allow_private_networks: true}
sources:
  - {id: policy-news, type: rss, url: "%s/news.rss", schedule: "@every 1h"}
routes:
  - {topics: ["*"], to: ["matrix:%s"]}
matrix: {homeserver: "%s", user_id: "@ituwatch:hs.test", access_token: "${MATRIX_ACCESS_TOKEN}"}
`, filepath.Join(dir, "ituwatch.db"), feedSrv.URL, room, hsSrv.URL)
	path := filepath.Join(dir, "ituwatch.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MATRIX_ACCESS_TOKEN": "syt-test-token"}

	// 1. The first poll, before the invite: refused, held.
	_, errOut, code := runCLIForTest(t, env, "once", "-c", path)
	if code != 0 {
		t.Fatalf("once exited %d: %s", code, errOut)
	}
	refused, txns := hs.state()
	if refused != 1 || len(txns) != 0 {
		t.Fatalf("after once: %d refused sends, %d accepted; want 1 refused (the rest wait behind it), none accepted", refused, len(txns))
	}

	// 2. status, from a fresh process, shows the room as held.
	out := runChat(t, env, "status\n", "-c", path)
	for _, want := range []string{
		"Deliveries to matrix:" + room,
		fmt.Sprintf("%d held since", len(alertingItems)),
		"the bot is not in the Matrix room " + room + " yet: invite it",
		"(Matrix said M_FORBIDDEN); they will be sent in order once the bot can post",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "failed") && !strings.Contains(out, "failed deliveries say") {
		t.Errorf("status reports failures:\n%s", out)
	}

	// 3. The daemon starts; someone invites the bot; the listener joins and
	// the held alerts follow.
	ctx, cancel := context.WithCancel(context.Background())
	runOut, runErr := newSyncBuffer(), newSyncBuffer()
	done := make(chan int, 1)
	go func() {
		e := &cliEnv{stdout: runOut, stderr: runErr, stdin: strings.NewReader(""), lookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		}}
		done <- runCLI(ctx, e, []string{"run", "-c", path})
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("run exited %d: %s", code, runErr.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("run did not stop after cancel")
		}
	}()
	hs.inviteBot()
	deadline := time.After(20 * time.Second)
	for range alertingItems {
		select {
		case <-hs.accepted:
		case <-deadline:
			_, txns := hs.state()
			t.Fatalf("only %d of %d alerts reached the room after the invite; run logged:\n%s", len(txns), len(alertingItems), runErr.String())
		}
	}
	_, txns = hs.state()
	want := []string{"itu-d1", "itu-d2", "itu-d3", "itu-d4"}
	if strings.Join(txns, ",") != strings.Join(want, ",") {
		t.Errorf("room received %v, want %v: in order, once each", txns, want)
	}
	if strings.Contains(runErr.String(), "failed for good") {
		t.Errorf("a delivery was failed:\n%s", runErr.String())
	}
	if strings.Contains(runErr.String()+out+errOut, "syt-test-token") {
		t.Error("the access token appears in the output")
	}
}
