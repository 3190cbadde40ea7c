package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ituwatch/ituwatch/bot/chat"
)

// The chat listeners of `ituwatch run` against loopback fakes of Slack
// (Web API and Socket Mode) and of a Matrix homeserver that fail at start or
// mid-run: the daemon keeps polling and alerting, says which listener is
// down in status, /healthz and /metrics, and reconnects when the platform is
// back.

const (
	testAppToken  = "xapp-1-A0APP-listener-7c2e9d"
	socketPath    = "/socket"
	listenerWait  = 20 * time.Second // guards a hung test only
	matrixCmdRoom = "!alerts:hs.test"

	testMatrixPassword = "correct horse battery staple 42"
)

// socketMode is the fake Slack's side of Socket Mode: apps.connections.open
// with the app-level token, then a websocket that says hello and stays open.
type socketMode struct {
	smu      sync.Mutex
	appToken string
	conns    []*websocket.Conn
	sockets  chan struct{} // one per websocket opened
}

func (f *fakeSlackAPI) setAppToken(tok string) {
	f.smu.Lock()
	f.appToken = tok
	f.smu.Unlock()
}

func (f *fakeSlackAPI) connectionsOpen(w http.ResponseWriter, tok string) {
	f.smu.Lock()
	ok := tok != "" && tok == f.appToken
	f.smu.Unlock()
	if !ok {
		fakeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	fakeJSON(w, map[string]any{"ok": true, "url": "ws://" + f.srv.Listener.Addr().String() + socketPath})
}

func (f *fakeSlackAPI) socket(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	if err := conn.WriteJSON(map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "A0APP"}}); err != nil {
		return
	}
	f.smu.Lock()
	f.conns = append(f.conns, conn)
	f.smu.Unlock()
	f.sockets <- struct{}{}
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			return
		}
	}
}

// dropSockets closes every open websocket, as Slack does when it rotates
// a connection; the client must open a new one.
func (f *fakeSlackAPI) dropSockets() {
	f.smu.Lock()
	conns := f.conns
	f.conns = nil
	f.smu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

func (f *fakeSlackAPI) callCount(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

// homeserverSync is the fake homeserver's /sync: it can be down (502 to
// everything), refuse the token (401 M_UNKNOWN_TOKEN), and hand out !itu
// commands typed in a room.
type homeserverSync struct {
	down, revoked bool
	batch         int
	pending       []string // command bodies for the next /sync
	resumed       int      // syncs with a since token: the bot reads new messages
	logins        int      // password logins; the first gets syt-test-token

	// raw holds whole events for the next /sync (claim_e2e_test.go).
	raw []map[string]any
}

// tokenOK: syt-test-token unless revoked; a token from a later login always.
func (f *fakeHomeserver) tokenOK(auth string, revoked bool) bool {
	tok := strings.TrimPrefix(auth, "Bearer ")
	f.mu.Lock()
	logins := f.logins
	f.mu.Unlock()
	if tok == "syt-test-token" {
		return !revoked
	}
	return logins > 1 && tok == fmt.Sprintf("syt-login-%d", logins)
}

// login answers a password login for the bot with a fresh token.
func (f *fakeHomeserver) login(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Identifier struct{ User string } `json:"identifier"`
		Password   string                `json:"password"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	if req.Identifier.User != "@ituwatch:hs.test" || req.Password != testMatrixPassword {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"errcode":"M_FORBIDDEN","error":"Invalid username or password"}`)
		return
	}
	f.mu.Lock()
	f.logins++
	token := "syt-test-token"
	if f.logins > 1 {
		token = fmt.Sprintf("syt-login-%d", f.logins)
	}
	f.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]any{"user_id": "@ituwatch:hs.test", "access_token": token, "device_id": "DEV1"})
}

func (f *fakeHomeserver) loginCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

func (f *fakeHomeserver) set(down, revoked bool) {
	f.mu.Lock()
	f.down, f.revoked = down, revoked
	f.mu.Unlock()
}

func (f *fakeHomeserver) say(body string) {
	f.mu.Lock()
	f.pending = append(f.pending, body)
	f.mu.Unlock()
}

func (f *fakeHomeserver) resumedSyncs() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.resumed
}

// replies returns the bodies of the notices the bot sent.
func (f *fakeHomeserver) replies() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, ev := range f.events {
		body, _ := ev["body"].(string)
		out = append(out, body)
	}
	return out
}

func (f *fakeHomeserver) sync(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if r.URL.Query().Get("since") != "" {
		f.resumed++
	}
	pending, raw := f.pending, f.raw
	f.pending, f.raw = nil, nil
	f.mu.Unlock()
	if len(pending) == 0 && len(raw) == 0 && r.URL.Query().Get("timeout") != "0" {
		// A short long poll keeps the test quick and bounded.
		select {
		case <-time.After(50 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
	}
	f.mu.Lock()
	f.batch++
	next := fmt.Sprintf("s%d", f.batch)
	f.mu.Unlock()
	var events []map[string]any
	for i, body := range pending {
		events = append(events, map[string]any{
			"type": "m.room.message", "sender": "@alice:hs.test", "event_id": fmt.Sprintf("$cmd%s-%d", next, i),
			"origin_server_ts": time.Now().UnixMilli(), "content": map[string]any{"msgtype": "m.text", "body": body},
		})
	}
	events = append(events, raw...)
	resp := map[string]any{"next_batch": next}
	if len(events) > 0 {
		resp["rooms"] = map[string]any{"join": map[string]any{matrixCmdRoom: map[string]any{"timeline": map[string]any{"events": events}}}}
	}
	_ = json.NewEncoder(w).Encode(resp)
}

// fastListenerRetry makes the listeners retry within milliseconds.
func fastListenerRetry(t *testing.T) {
	old := listenerBackoff
	listenerBackoff = chat.Backoff{Min: 5 * time.Millisecond, Max: 50 * time.Millisecond}
	t.Cleanup(func() { listenerBackoff = old })
}

// runningDaemon is `ituwatch run` in-process, with its output collected.
type runningDaemon struct {
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan int
	exited         bool
	code           int
	metrics        string // base URL of /healthz and /metrics
}

func startRun(t *testing.T, cfgPath string, env map[string]string) *runningDaemon {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &runningDaemon{stdout: newSyncBuffer(), stderr: newSyncBuffer(), cancel: cancel, done: make(chan int, 1)}
	e := &cliEnv{stdout: d.stdout, stderr: d.stderr, stdin: strings.NewReader(""), lookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}}
	go func() { d.done <- runCLI(ctx, e, []string{"run", "-c", cfgPath, "--log-level", "debug"}) }()
	t.Cleanup(func() {
		d.stop(t)
		for _, secret := range env {
			if strings.Contains(d.stderr.String()+d.stdout.String(), secret) {
				t.Errorf("a secret from the environment appears in the output")
			}
		}
		if t.Failed() {
			t.Logf("stderr of ituwatch run:\n%s", d.stderr.String())
		}
	})
	m := d.waitLog(t, regexp.MustCompile(`metrics listening" listen=(\S+)`))
	d.metrics = "http://" + m[1]
	return d
}

// stop ends the run as a signal would and returns its exit code.
func (d *runningDaemon) stop(t *testing.T) int {
	t.Helper()
	d.cancel()
	if !d.exited {
		select {
		case d.code = <-d.done:
			d.exited = true
		case <-time.After(shutdownGrace + 5*time.Second):
			t.Fatal("ituwatch run did not stop")
		}
	}
	return d.code
}

// until waits for cond, failing at once if the run exits.
func (d *runningDaemon) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(listenerWait)
	for !cond() {
		select {
		case code := <-d.done:
			d.exited, d.code = true, code
			t.Fatalf("ituwatch run exited with code %d while waiting for %s:\n%s", code, what, d.stderr.String())
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (d *runningDaemon) waitLog(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	var m []string
	d.until(t, "a log line matching "+re.String(), func() bool {
		m = re.FindStringSubmatch(d.stderr.String())
		return m != nil
	})
	return m
}

func (d *runningDaemon) healthz(t *testing.T) (int, health) {
	t.Helper()
	code, body := scrape(t, d.metrics+"/healthz")
	var h health
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		t.Fatalf("healthz is not JSON: %q", body)
	}
	return code, h
}

// waitListener waits until /healthz shows the listener in state.
func (d *runningDaemon) waitListener(t *testing.T, name string, state chat.ListenerState) health {
	t.Helper()
	var h health
	d.until(t, fmt.Sprintf("/healthz to show %s %s", name, state), func() bool {
		_, h = d.healthz(t)
		for _, l := range h.Listeners {
			if l.Name == name && l.State == string(state) {
				return true
			}
		}
		return false
	})
	return h
}

func (d *runningDaemon) listenerUp(t *testing.T, name string) float64 {
	t.Helper()
	_, body := scrape(t, d.metrics+"/metrics")
	v, ok := metricValue(body, "ituwatch_chat_listener_up", map[string]string{"listener": name})
	if !ok {
		t.Fatalf("no ituwatch_chat_listener_up{listener=%q} in /metrics", name)
	}
	return v
}

// reserveClosedPort returns a loopback address nothing listens on.
func reserveClosedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

type listenerRig struct {
	dir   string
	feed  *feedServer
	slack *fakeSlackAPI
	hs    *fakeHomeserver
	env   map[string]string
}

// newListenerRig writes a config polling one feed every second, routing
// every alert to the console, Slack's #itu-alerts (at slackURL) and, with a
// homeserver, a Matrix room.
func newListenerRig(t *testing.T, slack *fakeSlackAPI, slackURL string, hs *fakeHomeserver, hsURL string, items ...string) (*listenerRig, string) {
	t.Helper()
	r := &listenerRig{dir: t.TempDir(), slack: slack, hs: hs,
		feed: &feedServer{bodies: map[string]string{"/news.rss": rss(items...)}},
		env:  map[string]string{"SLACK_BOT_TOKEN": killTestToken, "SLACK_APP_TOKEN": testAppToken, "MATRIX_ACCESS_TOKEN": "syt-test-token"},
	}
	fsrv := httptest.NewServer(r.feed)
	t.Cleanup(func() { fsrv.CloseClientConnections(); fsrv.Close() })
	to := []string{"console"}
	var chat string
	if slack != nil {
		to = append(to, "slack:#itu-alerts")
		chat += fmt.Sprintf("slack: {bot_token: \"${SLACK_BOT_TOKEN}\", app_token: \"${SLACK_APP_TOKEN}\", api_url: %q}\n", slackURL)
	}
	if hs != nil {
		chat += fmt.Sprintf("matrix: {homeserver: %q, user_id: \"@ituwatch:hs.test\", access_token: \"${MATRIX_ACCESS_TOKEN}\"}\n", hsURL)
	}
	cfg := fmt.Sprintf(`store: {path: %q}
http: {allow_private_networks: true, timeout: 5s}
sources:
  - {id: policy-news, type: rss, url: "%s/news.rss", schedule: "@every 1s"}
routes:
  - {topics: ["*"], min_severity: low, to: [%s]}
metrics: {listen: "127.0.0.1:0"}
%s`, filepath.Join(r.dir, "ituwatch.db"), fsrv.URL, strings.Join(to, ", "), chat)
	path := filepath.Join(r.dir, "ituwatch.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return r, path
}

func newListenerHomeserver(t *testing.T) (*fakeHomeserver, *httptest.Server) {
	hs := &fakeHomeserver{}
	srv := httptest.NewServer(hs)
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	return hs, srv
}

// downEntry returns the listener's entry in /healthz.
func downEntry(h health, name string) (listenerHealth, bool) {
	for _, l := range h.Listeners {
		if l.Name == name {
			return l, true
		}
	}
	return listenerHealth{}, false
}

func TestRunKeepsGoingWhenSlackIsDownAtStart(t *testing.T) {
	tests := []struct {
		name       string
		closedPort bool
		reason     string // in the down reason
	}{
		{name: "Slack answers 503", reason: "503"},
		{name: "Slack's port is closed", closedPort: true, reason: "cannot reach Slack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fastListenerRetry(t)
			slack := newUnstartedFakeSlackAPI(t, killTestToken)
			slack.setAppToken(testAppToken)
			addr := slack.srv.Listener.Addr().String()
			if tt.closedPort {
				slack.srv.Listener.Close()
				addr = reserveClosedPort(t)
			} else {
				slack.setDown(true)
				slack.srv.Start()
			}
			hs, hsSrv := newListenerHomeserver(t)
			rig, cfg := newListenerRig(t, slack, "http://"+addr+"/api/", hs, hsSrv.URL, alertingItems[0])
			d := startRun(t, cfg, rig.env)

			// The alert queued by the first poll reaches the console.
			d.until(t, "the alert on the console", func() bool { return strings.Contains(d.stdout.String(), "TSAG debates New IP") })

			h := d.waitListener(t, "slack", chat.ListenerDown)
			code, h := d.healthz(t)
			l, _ := downEntry(h, "slack")
			if code != http.StatusOK || !h.OK || h.Status != "degraded" || len(h.ListenersDown) != 1 || h.ListenersDown[0] != "slack" || !strings.Contains(l.Reason, tt.reason) {
				t.Errorf("healthz with Slack down: %d %+v; want 200, ok, degraded naming slack with %q in the reason", code, h, tt.reason)
			}
			if v := d.listenerUp(t, "slack"); v != 0 {
				t.Errorf("ituwatch_chat_listener_up{listener=slack} = %v, want 0", v)
			}

			// Matrix keeps working and its status command names Slack.
			d.waitListener(t, "matrix", chat.ListenerUp)
			if v := d.listenerUp(t, "matrix"); v != 1 {
				t.Errorf("ituwatch_chat_listener_up{listener=matrix} = %v, want 1", v)
			}
			d.until(t, "a Matrix sync after the first", func() bool { return hs.resumedSyncs() > 0 })
			hs.say("!itu status")
			var status string
			d.until(t, "the status reply in Matrix", func() bool {
				for _, body := range hs.replies() {
					if strings.Contains(body, "status") && strings.Contains(body, "slack") {
						status = body
						return true
					}
				}
				return false
			})
			for _, want := range []string{"Chat listener slack", "down since", tt.reason, "Chat listener matrix", "connected since"} {
				if !strings.Contains(status, want) {
					t.Errorf("status does not say %q:\n%s", want, status)
				}
			}

			// Several retries, one log line.
			if !tt.closedPort {
				d.until(t, "three auth.test retries", func() bool { return slack.callCount("auth.test") >= 3 })
			} else {
				d.waitLog(t, regexp.MustCompile(`(?s)slack listener still down.*slack listener still down`))
			}

			// Slack is back: the listener reconnects and the alert is posted.
			if tt.closedPort {
				ln, err := net.Listen("tcp", addr)
				if err != nil {
					t.Skipf("the reserved port was taken meanwhile: %v", err)
				}
				slack.srv.Listener = ln
				slack.srv.Start()
			} else {
				slack.setDown(false)
			}
			select {
			case <-slack.sockets:
			case <-time.After(listenerWait):
				t.Fatal("no Socket Mode connection after Slack came back")
			}
			d.waitListener(t, "slack", chat.ListenerUp)
			if code, h := d.healthz(t); code != 200 || h.Status != "ok" || len(h.ListenersDown) != 0 {
				t.Errorf("healthz after Slack came back: %d %+v; want ok", code, h)
			}
			d.until(t, "the alert in Slack", func() bool { return len(slack.accepted_()) > 0 })

			logs := d.stderr.String()
			for line, want := range map[string]int{"slack listener down": 1, "slack listener reconnected": 1} {
				if got := strings.Count(logs, line); got != want {
					t.Errorf("%q logged %d times, want %d", line, got, want)
				}
			}
			if code := d.stop(t); code != 0 {
				t.Errorf("run exited %d after the signal, want 0", code)
			}
		})
	}
}

func TestRunSlackAppTokenRevokedMidRunStillPostsAlerts(t *testing.T) {
	fastListenerRetry(t)
	slack := newFakeSlackAPI(t, killTestToken)
	slack.setAppToken(testAppToken)
	rig, cfg := newListenerRig(t, slack, slack.url(), nil, "", alertingItems[0])
	d := startRun(t, cfg, rig.env)
	select {
	case <-slack.sockets:
	case <-time.After(listenerWait):
		t.Fatal("no Socket Mode connection")
	}
	d.waitListener(t, "slack", chat.ListenerUp)
	d.until(t, "the first alert in Slack", func() bool { return len(slack.accepted_()) == 1 })

	// The app-level token is revoked and Slack drops the connection.
	slack.setAppToken("xapp-1-A0APP-rotated")
	slack.dropSockets()
	h := d.waitListener(t, "slack", chat.ListenerDown)
	if l, _ := downEntry(h, "slack"); !strings.Contains(l.Reason, "SLACK_APP_TOKEN") {
		t.Errorf("down reason %q does not say to check SLACK_APP_TOKEN", l.Reason)
	}
	calls := slack.callCount("apps.connections.open")
	d.until(t, "more apps.connections.open retries", func() bool { return slack.callCount("apps.connections.open") >= calls+3 })

	// A later alert still reaches Slack: posting needs only the bot token.
	rig.feed.set("/news.rss", rss(alertingItems[0], alertingItems[1]))
	d.until(t, "the later alert in Slack", func() bool {
		posts := slack.accepted_()
		return len(posts) == 2 && strings.Contains(posts[1].Text, "CWG-Internet")
	})
	if got := strings.Count(d.stderr.String(), "slack listener down"); got != 1 {
		t.Errorf("%d down lines logged, want 1", got)
	}

	// The token is fixed (here: Slack accepts it again) and commands come back.
	slack.setAppToken(testAppToken)
	d.waitListener(t, "slack", chat.ListenerUp)
	if code := d.stop(t); code != 0 {
		t.Errorf("run exited %d, want 0", code)
	}
}

func TestRunKeepsGoingWhenMatrixFails(t *testing.T) {
	tests := []struct {
		name   string
		before func(hs *fakeHomeserver) // at start
		during func(hs *fakeHomeserver) // once connected; nil: fails at start
		reason string
	}{
		{name: "homeserver down at start", before: func(hs *fakeHomeserver) { hs.set(true, false) }, reason: "502"},
		{name: "token revoked mid-run", during: func(hs *fakeHomeserver) { hs.set(false, true) }, reason: "access token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fastListenerRetry(t)
			hs, hsSrv := newListenerHomeserver(t)
			slack := newFakeSlackAPI(t, killTestToken)
			slack.setAppToken(testAppToken)
			if tt.before != nil {
				tt.before(hs)
			}
			rig, cfg := newListenerRig(t, slack, slack.url(), hs, hsSrv.URL, alertingItems[0])
			d := startRun(t, cfg, rig.env)
			if tt.during != nil {
				d.waitListener(t, "matrix", chat.ListenerUp)
				tt.during(hs)
			}
			h := d.waitListener(t, "matrix", chat.ListenerDown)
			if l, _ := downEntry(h, "matrix"); h.Status != "degraded" || !strings.Contains(l.Reason, tt.reason) {
				t.Errorf("healthz with Matrix down: %+v; want degraded with %q in the reason", h, tt.reason)
			}
			if v := d.listenerUp(t, "matrix"); v != 0 {
				t.Errorf("ituwatch_chat_listener_up{listener=matrix} = %v, want 0", v)
			}

			// Polling, the console and Slack go on.
			rig.feed.set("/news.rss", rss(alertingItems[0], alertingItems[1]))
			d.until(t, "both alerts on the console", func() bool {
				out := d.stdout.String()
				return strings.Contains(out, "TSAG debates New IP") && strings.Contains(out, "CWG-Internet opens consultation")
			})
			d.until(t, "both alerts in Slack", func() bool { return len(slack.accepted_()) == 2 })
			d.waitListener(t, "slack", chat.ListenerUp)

			// The homeserver is back.
			hs.set(false, false)
			d.waitListener(t, "matrix", chat.ListenerUp)
			if code, h := d.healthz(t); code != 200 || h.Status != "ok" {
				t.Errorf("healthz after Matrix came back: %d %+v", code, h)
			}
			logs := d.stderr.String()
			for line, want := range map[string]int{"matrix listener down": 1, "matrix listener reconnected": 1} {
				if got := strings.Count(logs, line); got != want {
					t.Errorf("%q logged %d times, want %d", line, got, want)
				}
			}
			if code := d.stop(t); code != 0 {
				t.Errorf("run exited %d, want 0", code)
			}
		})
	}
}

// A password login whose token is revoked mid-run logs in again by itself.
func TestRunMatrixLogsInAgainWhenItsTokenIsRevoked(t *testing.T) {
	fastListenerRetry(t)
	hs, hsSrv := newListenerHomeserver(t)
	_, cfg := newListenerRig(t, nil, "", hs, hsSrv.URL, alertingItems[0])
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), `access_token: "${MATRIX_ACCESS_TOKEN}"`, `password: "${MATRIX_PASSWORD}"`, 1))
	if err := os.WriteFile(cfg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MATRIX_PASSWORD": testMatrixPassword}
	d := startRun(t, cfg, env)
	d.waitListener(t, "matrix", chat.ListenerUp)
	if n := hs.loginCount(); n != 1 {
		t.Fatalf("%d logins at start, want 1", n)
	}

	hs.set(false, true) // the kept token is revoked
	d.waitLog(t, regexp.MustCompile(`matrix listener reconnected`))
	d.waitListener(t, "matrix", chat.ListenerUp)
	if n := hs.loginCount(); n != 2 {
		t.Errorf("%d logins, want 2: one at start, one after the token was revoked", n)
	}
	if !strings.Contains(d.stderr.String(), "does not accept the access token") {
		t.Errorf("the down line does not say the token was refused:\n%s", d.stderr.String())
	}
	d.until(t, "the alert on the console", func() bool { return strings.Contains(d.stdout.String(), "TSAG debates New IP") })
	if code := d.stop(t); code != 0 {
		t.Errorf("run exited %d, want 0", code)
	}
}
