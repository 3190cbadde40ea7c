package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/store"
)

// These tests run the real ituwatch binary against a loopback feed and the
// fake Slack, kill it with SIGKILL at chosen moments, restart it, and count
// that every alert reached Slack exactly once (by the alert id in the
// message metadata).

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// ituwatchBinary builds the binary once per test run, on first use.
func ituwatchBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "ituwatch-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "ituwatch")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// killTestToken is the bot token the daemon gets from its environment; no
// output may ever contain it.
const killTestToken = "xoxb-4242-kill-restart-9f3c1d7e5b"

// alertingItems are four items the built-in rules alert on, in feed order.
var alertingItems = []string{
	rssItem("k1", "TSAG debates New IP successor at ITU-T",
		"Delegates at the ITU-T advisory group discussed reviving the New IP proposal first tabled at FG-NET2030."),
	rssItem("k2", "CWG-Internet opens consultation under Resolution 102",
		"The Council Working Group on Internet-related public policy issues invites comments on the management of Internet resources."),
	rssItem("k3", "Proposal to give ITU-T a role in IP address allocation",
		"A contribution to the ITU Council proposes that ITU-T study groups take on IPv6 address allocation alongside the Regional Internet Registries."),
	rssItem("k4", "FG-NET2030 report revives New IP architecture",
		"The focus group's final report describes the New IP network architecture as a successor to TCP/IP."),
}

// blockingFeed serves the feed; with hold set, a request waits until the
// client goes away, so a poll can be killed in flight.
type blockingFeed struct {
	mu      sync.Mutex
	body    string
	hold    bool
	arrived chan struct{}
}

func (b *blockingFeed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	hold, body := b.hold, b.body
	b.mu.Unlock()
	if hold {
		b.arrived <- struct{}{}
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, body)
}

func (b *blockingFeed) setHold(h bool) {
	b.mu.Lock()
	b.hold = h
	b.mu.Unlock()
}

type killRig struct {
	t     *testing.T
	dir   string
	cfg   string
	feed  *blockingFeed
	slack *fakeSlackAPI
	logs  []*syncBuffer // stderr of every run
}

func newKillRig(t *testing.T) *killRig {
	if testing.Short() {
		t.Skip("runs the real binary; skipped with -short")
	}
	ituwatchBinary(t)
	r := &killRig{t: t, dir: t.TempDir()}
	r.feed = &blockingFeed{body: rss(alertingItems...), arrived: make(chan struct{}, 8)}
	fsrv := httptest.NewServer(r.feed)
	t.Cleanup(func() { fsrv.CloseClientConnections(); fsrv.Close() })
	r.slack = newFakeSlackAPI(t, killTestToken)
	cfg := fmt.Sprintf(`store: {path: %q}
http: {allow_private_networks: true, timeout: 10s}
sources:
  - {id: policy-news, type: rss, url: "%s/news.rss", schedule: "@every 1h"}
routes:
  - {topics: ["*"], min_severity: low, to: ["slack:#itu-alerts"]}
slack:
  bot_token: ${SLACK_BOT_TOKEN}
  api_url: %q
`, filepath.Join(r.dir, "ituwatch.db"), fsrv.URL, r.slack.url())
	r.cfg = filepath.Join(r.dir, "ituwatch.yaml")
	if err := os.WriteFile(r.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i, l := range r.logs {
			if strings.Contains(l.String(), killTestToken) {
				t.Errorf("run %d logged the Slack token", i+1)
			}
		}
		if t.Failed() {
			for i, l := range r.logs {
				t.Logf("stderr of run %d:\n%s", i+1, l.String())
			}
		}
	})
	return r
}

// syncBuffer collects a run's output and tells waiters when more came.
type syncBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{wrote: make(chan struct{}, 1)} }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		select {
		case s.wrote <- struct{}{}:
		default:
		}
	}()
	return s.b.Write(p)
}

// waitFor waits until the output contains substr.
func (s *syncBuffer) waitFor(t *testing.T, substr string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for !strings.Contains(s.String(), substr) {
		select {
		case <-s.wrote:
		case <-deadline:
			t.Fatalf("no %q in the output within %v", substr, within)
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type daemon struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
}

// start runs `ituwatch run` with the token in its environment.
func (r *killRig) start() *daemon {
	r.t.Helper()
	cmd := exec.Command(ituwatchBinary(r.t), "run", "-c", r.cfg, "--log-level", "debug")
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "SLACK_BOT_TOKEN="+killTestToken)
	logs := newSyncBuffer()
	r.logs = append(r.logs, logs)
	cmd.Stderr = logs
	cmd.Stdout = logs
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	d := &daemon{cmd: cmd, logs: logs, done: make(chan error, 1)}
	go func() { d.done <- cmd.Wait() }()
	r.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-d.done
		}
	})
	return d
}

func (d *daemon) kill(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-d.done
}

// term sends SIGTERM and returns how long the daemon took to exit.
func (d *daemon) term(t *testing.T) (time.Duration, error) {
	t.Helper()
	// A signal before main installed its handler would kill, not stop.
	d.logs.waitFor(t, "ituwatch running", deliverAll)
	start := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		return time.Since(start), err
	case <-time.After(shutdownGrace + 5*time.Second):
		t.Fatalf("ituwatch did not exit within %v of SIGTERM", shutdownGrace+5*time.Second)
		return 0, nil
	}
}

// waitPosts waits until Slack holds n messages with distinct alert ids.
func (r *killRig) waitPosts(n int, within time.Duration) {
	r.t.Helper()
	deadline := time.After(within)
	for {
		if distinctAlerts(r.slack.accepted_()) >= n {
			return
		}
		select {
		case <-r.slack.accepted:
		case <-deadline:
			r.t.Fatalf("after %v Slack holds %d distinct alerts, want %d: %+v", within, distinctAlerts(r.slack.accepted_()), n, r.slack.accepted_())
		}
	}
}

// waitDrained waits until the daemon recorded every delivery as done: Slack
// holding a message is not yet the store knowing it.
func (r *killRig) waitDrained(within time.Duration) {
	r.t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(r.dir, "ituwatch.db"))
	if err != nil {
		r.t.Fatal(err)
	}
	defer st.Close()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	deadline := time.After(within)
	for {
		dests, err := st.DestinationStatuses(context.Background())
		if err != nil {
			r.t.Fatal(err)
		}
		pending := 0
		for _, d := range dests {
			pending += d.Pending
		}
		if len(dests) > 0 && pending == 0 {
			return
		}
		select {
		case <-poll.C: // another process's store: nothing to wait on but time
		case <-deadline:
			r.t.Fatalf("%d deliveries still pending after %v", pending, within)
		}
	}
}

func distinctAlerts(posts []slackPost) int {
	seen := map[int64]bool{}
	for _, p := range posts {
		seen[p.AlertID] = true
	}
	return len(seen)
}

// verifyExactlyOnce opens the store after the daemon exited and checks that
// Slack holds every stored alert exactly once and nothing else, and that no
// delivery is left pending or failed.
func (r *killRig) verifyExactlyOnce(want int) []slackPost {
	r.t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(r.dir, "ituwatch.db"))
	if err != nil {
		r.t.Fatal(err)
	}
	defer st.Close()
	alerts, err := st.RecentAlerts(context.Background(), "", 50)
	if err != nil {
		r.t.Fatal(err)
	}
	if len(alerts) != want {
		r.t.Errorf("store has %d alerts, want %d", len(alerts), want)
	}
	posts := r.slack.accepted_()
	count := map[int64]int{}
	for _, p := range posts {
		count[p.AlertID]++
	}
	for _, a := range alerts {
		if count[a.ID] != 1 {
			r.t.Errorf("alert #%d (%s) is in Slack %d times, want exactly once", a.ID, a.Item.Title, count[a.ID])
		}
		delete(count, a.ID)
	}
	for id, n := range count {
		r.t.Errorf("Slack holds %d messages for alert #%d, which the store does not know", n, id)
	}
	dests, err := st.DestinationStatuses(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	for _, d := range dests {
		if d.Pending != 0 || d.Failed != 0 {
			r.t.Errorf("destination %s: %d pending, %d failed after the final run (last error %q)", d.Destination, d.Pending, d.Failed, d.LastError)
		}
	}
	return posts
}

// wantAlerts is one alert per item of alertingItems.
var wantAlerts = len(alertingItems)

const (
	// deliverAll bounds how long a run may take to post every alert: posts
	// to one channel are paced a second apart.
	deliverAll = 30 * time.Second
)

func TestKillAfterSlackAcceptedBeforeItAnswered(t *testing.T) {
	r := newKillRig(t)
	r.slack.setHoldNext()
	d := r.start()
	var held slackPost
	select {
	case held = <-r.slack.held:
	case <-time.After(deliverAll):
		t.Fatal("no alert reached Slack")
	}
	d.kill(t) // Slack has the message; the store never heard back.

	d = r.start()
	r.waitPosts(wantAlerts, deliverAll)
	r.waitDrained(deliverAll)
	took, err := d.term(t)
	if err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	posts := r.verifyExactlyOnce(wantAlerts)
	t.Logf("held alert #%d; %d posts for %d alerts after the restart; SIGTERM exit in %v", held.AlertID, len(posts), wantAlerts, took.Round(time.Millisecond))
}

func TestKillMidPoll(t *testing.T) {
	r := newKillRig(t)
	r.feed.setHold(true)
	d := r.start()
	select {
	case <-r.feed.arrived:
	case <-time.After(deliverAll):
		t.Fatal("the daemon never polled the feed")
	}
	d.kill(t)
	if n := len(r.slack.accepted_()); n != 0 {
		t.Fatalf("%d posts before the feed answered", n)
	}
	r.feed.setHold(false)
	d = r.start()
	r.waitPosts(wantAlerts, deliverAll)
	r.waitDrained(deliverAll)
	if _, err := d.term(t); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	r.verifyExactlyOnce(wantAlerts)
}

// TestKillAfterEachPost kills the daemon the moment Slack answered each
// post: the kill races the store recording it, so runs land on both sides.
func TestKillAfterEachPost(t *testing.T) {
	r := newKillRig(t)
	kills := 0
	for distinctAlerts(r.slack.accepted_()) < wantAlerts && kills < wantAlerts+2 {
		before := len(r.slack.accepted_())
		d := r.start()
		deadline := time.After(deliverAll)
	wait:
		for len(r.slack.accepted_()) == before {
			select {
			case <-r.slack.accepted:
			case <-deadline:
				break wait
			}
		}
		d.kill(t)
		kills++
	}
	d := r.start()
	r.waitPosts(wantAlerts, deliverAll)
	r.waitDrained(deliverAll)
	if _, err := d.term(t); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	posts := r.verifyExactlyOnce(wantAlerts)
	recovered := 0
	for _, l := range r.logs {
		recovered += strings.Count(l.String(), "alert already in slack")
	}
	t.Logf("%d SIGKILLs, %d posts for %d alerts; %d found in Slack after a restart instead of posted again", kills, len(posts), wantAlerts, recovered)
}

func TestSIGTERMWithASendInFlight(t *testing.T) {
	r := newKillRig(t)
	r.slack.setHoldNext()
	d := r.start()
	select {
	case <-r.slack.held:
	case <-time.After(deliverAll):
		t.Fatal("no alert reached Slack")
	}
	took, err := d.term(t)
	if err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	if took > shutdownGrace {
		t.Errorf("SIGTERM took %v, grace is %v", took, shutdownGrace)
	}
	d = r.start()
	r.waitPosts(wantAlerts, deliverAll)
	r.waitDrained(deliverAll)
	if _, err := d.term(t); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	r.verifyExactlyOnce(wantAlerts)
	t.Logf("SIGTERM with a Slack post in flight: exited in %v (grace %v)", took.Round(time.Millisecond), shutdownGrace)
}

func TestSlackOutageQueuesAndDeliversInOrder(t *testing.T) {
	r := newKillRig(t)
	r.slack.setDown(true)
	d := r.start()
	// Wait for the first refused attempt, then look at the queue.
	deadline := time.After(deliverAll)
	for r.slack.postAttempts() == 0 {
		select {
		case <-deadline:
			t.Fatal("the daemon never tried to post")
		case <-r.slack.attempted:
		}
	}
	st, err := store.Open(context.Background(), filepath.Join(r.dir, "ituwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	var pending int
	var oldest time.Time
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		dests, err := st.DestinationStatuses(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(dests) == 1 && dests[0].Pending == wantAlerts && dests[0].LastError != "" {
			pending, oldest = dests[0].Pending, dests[0].OldestPending
			if strings.Contains(dests[0].LastError, killTestToken) {
				t.Error("the queue's last error holds the token")
			}
			break
		}
		<-poll.C // another process's store: nothing to wait on but time
	}
	st.Close()
	if pending != wantAlerts || oldest.IsZero() {
		t.Fatalf("during the outage %d deliveries queued (oldest %v), want %d with the reason they wait", pending, oldest, wantAlerts)
	}
	refused := r.slack.postAttempts()
	r.slack.setDown(false)
	r.waitPosts(wantAlerts, deliverAll)
	r.waitDrained(deliverAll)
	if _, err := d.term(t); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	posts := r.verifyExactlyOnce(wantAlerts)
	ids := make([]int64, len(posts))
	for i, p := range posts {
		ids[i] = p.DeliveryID
	}
	if !sort.SliceIsSorted(ids, func(i, j int) bool { return ids[i] < ids[j] }) {
		t.Errorf("delivered out of order after the outage: delivery ids %v", ids)
	}
	t.Logf("outage: %d refused attempts, %d queued, delivered in order %v", refused, pending, ids)
}
