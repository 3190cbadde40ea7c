package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/store"
	"github.com/ituwatch/ituwatch/store/pgtest"
)

// The proof for issue 18: three `ituwatch run` processes share one
// Postgres schema, a feed publishes a new alerting item every tick, and
// processes are killed with SIGKILL at random moments (the leader among
// them) and started again. After the last kill of a leader another one
// leads and delivers within 30 s, and at the end Slack holds every alert
// exactly once and Matrix got each under one transaction id.

const (
	multiInstances = 3
	multiItems     = 20
	multiTick      = 1200 * time.Millisecond
	multiKills     = 4
	failoverBound  = 30 * time.Second
)

// multiTitles are distinct enough that no two are taken for one story.
var multiTitles = [multiItems]string{
	"Geneva week opens with packed agenda", "Council session wraps up budget talks", "Member States trade drafts ahead of deadline",
	"Study group chair circulates revised text", "Regional preparatory meeting concludes in Nairobi", "Secretariat publishes new contribution list",
	"Civil society groups file joint comments", "Operators brief delegates on network plans", "Vendors pitch architecture to working party",
	"Plenipotentiary preparations gather pace", "Consultation closes with record responses", "Liaison statement lands at advisory group",
	"Working party debates terms of reference", "Observers question process at interim session", "Drafting group works late into the night",
	"Asia-Pacific telecommunity aligns positions", "Arab group tables common proposal", "Inter-American commission meets online",
	"African union delegates set priorities", "European conference finalises input",
}

// multiBodies each make the built-in rules alert (new-ip, mandate-creep,
// ipv6-addressing).
var multiBodies = []string{
	"Delegates at the ITU-T advisory group discussed reviving the New IP proposal first tabled at FG-NET2030.",
	"The Council Working Group on Internet-related public policy issues invites comments on the management of Internet resources.",
	"A contribution to the ITU Council proposes that ITU-T study groups take on IPv6 address allocation alongside the Regional Internet Registries.",
	"The focus group's final report describes the New IP network architecture as a successor to TCP/IP.",
}

// publishingFeed serves the items published so far, newest last.
type publishingFeed struct {
	mu    sync.Mutex
	items []string
}

func (f *publishingFeed) publish(i int) {
	item := fmt.Sprintf(`<item><title>%s</title><link>http://news.example/multi/%d</link><guid>multi-%d</guid><description>%s</description><pubDate>%s</pubDate></item>`,
		multiTitles[i], i, i, multiBodies[i%len(multiBodies)], time.Now().UTC().Format(time.RFC1123Z))
	f.mu.Lock()
	f.items = append(f.items, item)
	f.mu.Unlock()
}

func (f *publishingFeed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	body := rss(f.items...)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, body)
}

// instanceProc is one `ituwatch run` process of the test.
type instanceProc struct {
	n    int // which start this is, for the logs
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error

	mu      sync.Mutex
	metrics string // http://host:port, once known
}

var metricsLine = regexp.MustCompile(`metrics listening" listen=(\S+)`)

// healthz asks the process whether it leads; ok is false if it does not
// answer (yet).
func (p *instanceProc) healthz() (h health, ok bool) {
	p.mu.Lock()
	if p.metrics == "" {
		if m := metricsLine.FindStringSubmatch(p.logs.String()); m != nil {
			p.metrics = "http://" + m[1]
		}
	}
	url := p.metrics
	p.mu.Unlock()
	if url == "" {
		return h, false
	}
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(url + "/healthz")
	if err != nil {
		return h, false
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return h, false
	}
	return h, true
}

// scrape returns the process's /metrics, or "" if it does not answer.
func (p *instanceProc) scrape() string {
	p.mu.Lock()
	url := p.metrics
	p.mu.Unlock()
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(url + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func (p *instanceProc) alive() bool {
	select {
	case err := <-p.done:
		p.done <- err
		return false
	default:
		return true
	}
}

func TestThreeInstancesFailoverExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three real binaries; skipped with -short")
	}
	dsn := pgtest.DSN(t) // skips, saying so, without ITUWATCH_TEST_PG_DSN
	bin := ituwatchBinary(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ITUWATCH_TEST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("ITUWATCH_TEST_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (ITUWATCH_TEST_SEED=%d repeats this run's kills)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 18))

	dir := t.TempDir()
	feed := &publishingFeed{}
	fsrv := httptest.NewServer(feed)
	t.Cleanup(func() { fsrv.CloseClientConnections(); fsrv.Close() })
	slack := newFakeSlackAPI(t, killTestToken)
	hs := &fakeHomeserver{}
	hsrv := httptest.NewServer(hs)
	t.Cleanup(func() { hsrv.CloseClientConnections(); hsrv.Close() })
	cfg := filepath.Join(dir, "ituwatch.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`store: {driver: postgres, dsn: "${ITUWATCH_PG_DSN}"}
http: {allow_private_networks: true, timeout: 5s}
alerts: {max_per_poll: 100}
sources:
  - {id: policy-news, type: rss, url: "%s/news.rss", schedule: "@every 1s"}
routes:
  - {topics: ["*"], min_severity: low, to: ["slack:#itu-alerts", "matrix:!alerts:hs.test"]}
slack:
  bot_token: ${SLACK_BOT_TOKEN}
  api_url: %q
matrix: {homeserver: %q, user_id: "@ituwatch:hs.test", access_token: "${MATRIX_ACCESS_TOKEN}"}
metrics: {listen: "127.0.0.1:0"}
`, fsrv.URL, slack.url(), hsrv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}

	var (
		pmu    sync.Mutex // procs, starts, all: the measuring goroutines read them
		procs  [multiInstances]*instanceProc
		starts int
		all    []*instanceProc
	)
	current := func() [multiInstances]*instanceProc {
		pmu.Lock()
		defer pmu.Unlock()
		return procs
	}
	start := func(slot int) {
		pmu.Lock()
		defer pmu.Unlock()
		starts++
		cmd := exec.Command(bin, "run", "-c", cfg, "--log-level", "debug")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "SLACK_BOT_TOKEN="+killTestToken, "ITUWATCH_PG_DSN="+dsn, "MATRIX_ACCESS_TOKEN=syt-test-token")
		p := &instanceProc{n: starts, cmd: cmd, logs: newSyncBuffer(), done: make(chan error, 1)}
		cmd.Stdout, cmd.Stderr = p.logs, p.logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { p.done <- cmd.Wait() }()
		procs[slot] = p
		all = append(all, p)
	}
	t.Cleanup(func() {
		procs := current()
		for _, p := range procs {
			if p != nil && p.alive() {
				_ = p.cmd.Process.Signal(syscall.SIGTERM)
			}
		}
		for _, p := range procs {
			if p == nil {
				continue
			}
			select {
			case <-p.done:
			case <-time.After(shutdownGrace + 5*time.Second):
				_ = p.cmd.Process.Kill()
			}
		}
		for _, p := range all {
			if out := p.logs.String(); strings.Contains(out, killTestToken) || strings.Contains(out, dsn) || strings.Contains(out, "syt-test-token") {
				t.Errorf("run %d logged a secret (a token or the store's DSN)", p.n)
			}
		}
		if t.Failed() {
			for _, p := range all {
				t.Logf("output of run %d:\n%s", p.n, p.logs.String())
			}
		}
	})
	for i := range procs {
		start(i)
	}

	// leader finds the slot of the process that says it leads.
	leader := func(within time.Duration) (int, string) {
		deadline := time.Now().Add(within)
		for time.Now().Before(deadline) {
			for i, p := range current() {
				if p.alive() {
					if h, ok := p.healthz(); ok && h.Leading {
						return i, h.Instance
					}
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		return -1, ""
	}
	slot, id := leader(20 * time.Second)
	if slot < 0 {
		t.Fatal("no instance leads 20 s after the start")
	}
	t.Logf("first leader: instance %s (run %d)", id, current()[slot].n)
	// Every instance's /healthz names the leader once it has beaten.
	for i, p := range current() {
		var h health
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if h, _ = p.healthz(); h.Leader == id {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if h.Leader != id || h.Leading != (i == slot) || h.Instance == "" {
			t.Errorf("/healthz of run %d: instance %q, leading %v, leader %q; want leader %q", p.n, h.Instance, h.Leading, h.Leader, id)
		}
		want := fmt.Sprintf("\nituwatch_leading %d\n", map[bool]int{false: 0, true: 1}[i == slot])
		if m := p.scrape(); !strings.Contains(m, want) {
			t.Errorf("/metrics of run %d lacks %q", p.n, strings.TrimSpace(want))
		}
		// Only the leader runs the Matrix sync.
		if _, syncing := downEntry(h, "matrix"); syncing != (i == slot) {
			t.Errorf("/healthz of run %d (leading %v) lists the Matrix listener: %v", p.n, h.Leading, syncing)
		}
	}

	// The kills fall on random ticks (2–10), each on a coin toss the
	// leader's; a killed process is started again one to three ticks later.
	// The last kill, of the leader, comes at tick 14, when all three run
	// again, and leaves six ticks of new items for the successor.
	const lastKill = multiItems - 6
	killAt := map[int]bool{lastKill: true}
	for len(killAt) < multiKills {
		killAt[2+rng.IntN(lastKill-5)] = true
	}
	restartAt := map[int][]int{} // tick → slots
	type failover struct {
		leader, delivery time.Duration
	}
	var (
		fmu       sync.Mutex
		failovers []failover
		fwg       sync.WaitGroup
	)
	// measure waits, after the leader dead was killed at killed, for
	// another process to lead and for the item published then to reach Slack.
	measure := func(killed time.Time, dead *instanceProc, title string) {
		defer fwg.Done()
		var f failover
		deadline := killed.Add(failoverBound + 5*time.Second)
		for time.Now().Before(deadline) && (f.leader == 0 || f.delivery == 0) {
			if f.leader == 0 {
				for _, p := range current() {
					// The killed process's slot may hold its restart by now,
					// which may lead too.
					if p == dead || p == nil || !p.alive() {
						continue
					}
					if h, ok := p.healthz(); ok && h.Leading {
						f.leader = time.Since(killed)
					}
				}
			}
			if f.delivery == 0 {
				for _, post := range slack.accepted_() {
					if strings.Contains(post.Text, title) {
						f.delivery = time.Since(killed)
					}
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		fmu.Lock()
		failovers = append(failovers, f)
		fmu.Unlock()
	}

	for tick := range multiItems {
		for _, slot := range restartAt[tick] {
			start(slot)
		}
		// A random moment within the tick: polls and sends are under way.
		pause := time.Duration(rng.Int64N(int64(multiTick)))
		time.Sleep(pause)
		var alive []int
		for i, p := range current() {
			if p.alive() {
				alive = append(alive, i)
			}
		}
		switch {
		case killAt[tick] && len(alive) < 2:
			t.Logf("tick %d: no kill, only %d instance alive", tick, len(alive))
		case killAt[tick]:
			slot := -1
			if tick == lastKill || rng.IntN(2) == 0 {
				slot, _ = leader(10 * time.Second)
			}
			if slot < 0 {
				slot = alive[rng.IntN(len(alive))]
			}
			p := current()[slot]
			h, _ := p.healthz()
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed := time.Now()
			p.done <- <-p.done // exited; alive() reads it again
			t.Logf("tick %d: SIGKILL run %d (instance %s, leading %v)", tick, p.n, h.Instance, h.Leading)
			if h.Leading {
				fwg.Add(1)
				go measure(killed, p, multiTitles[tick])
			}
			back := tick + 1 + rng.IntN(3)
			restartAt[back] = append(restartAt[back], slot)
		}
		feed.publish(tick)
		time.Sleep(multiTick - pause)
	}
	for tick := multiItems; tick < multiItems+4; tick++ {
		for _, slot := range restartAt[tick] {
			start(slot)
		}
	}
	fwg.Wait()

	// Every alert reaches Slack once the dust settles.
	deadline := time.Now().Add(45 * time.Second)
	for distinctAlerts(slack.accepted_()) < multiItems && time.Now().Before(deadline) {
		select {
		case <-slack.accepted:
		case <-time.After(200 * time.Millisecond):
		}
	}
	ctx := context.Background()
	st, err := store.OpenDriver(ctx, store.DriverPostgres, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for time.Now().Before(deadline) {
		dests, err := st.DestinationStatuses(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pending := 0
		for _, d := range dests {
			pending += d.Pending
		}
		if len(dests) == 2 && pending == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	fmu.Lock()
	defer fmu.Unlock()
	if len(failovers) == 0 {
		t.Fatal("no leader was killed")
	}
	for i, f := range failovers {
		t.Logf("leader kill %d: another instance led after %v, delivered the item published at the kill after %v", i+1, f.leader.Round(10*time.Millisecond), f.delivery.Round(10*time.Millisecond))
	}
	last := failovers[len(failovers)-1]
	if last.leader == 0 || last.leader > failoverBound {
		t.Errorf("after the last leader kill no other instance led within %v", failoverBound)
	}
	if last.delivery == 0 || last.delivery > failoverBound {
		t.Errorf("after the last leader kill the item published then was not delivered within %v", failoverBound)
	}

	alerts, err := st.RecentAlerts(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != multiItems {
		t.Errorf("the store holds %d alerts, want %d (one per published item)", len(alerts), multiItems)
	}
	byAlert, byDelivery := map[int64]int{}, map[int64]int{}
	for _, p := range slack.accepted_() {
		byAlert[p.AlertID]++
		byDelivery[p.DeliveryID]++
	}
	stored := map[int64]bool{}
	for _, a := range alerts {
		stored[a.ID] = true
		if byAlert[a.ID] != 1 {
			t.Errorf("alert #%d (%s) is in Slack %d times, want exactly once", a.ID, a.Item.Title, byAlert[a.ID])
		}
	}
	for id, n := range byAlert {
		if !stored[id] {
			t.Errorf("Slack holds %d messages of alert #%d, which the store does not have", n, id)
		}
	}
	for id, n := range byDelivery {
		if n != 1 {
			t.Errorf("delivery %d was posted %d times", id, n)
		}
	}
	// Matrix: each delivery went out under one transaction id, derived
	// from the delivery; a repeat after a kill reuses it, and a homeserver
	// keeps one event per transaction id (this fake keeps all, to count).
	hs.mu.Lock()
	txns := append([]string(nil), hs.txns...)
	hs.mu.Unlock()
	perTxn := map[string]int{}
	for _, txn := range txns {
		if !regexp.MustCompile(`^itu-d[0-9]+$`).MatchString(txn) {
			t.Errorf("Matrix event sent with transaction id %q, not one derived from its delivery", txn)
		}
		perTxn[txn]++
	}
	if len(perTxn) != multiItems {
		t.Errorf("Matrix got %d distinct transactions, want %d (one per alert)", len(perTxn), multiItems)
	}
	t.Logf("Matrix: %d events under %d transaction ids (a repeat is a retry after a kill, dropped by a real homeserver)", len(txns), len(perTxn))
	dests, err := st.DestinationStatuses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(dests) != 2 {
		t.Errorf("destinations at the end: %+v, want Slack and Matrix", dests)
	}
	for _, d := range dests {
		if d.Pending != 0 || d.Failed != 0 {
			t.Errorf("%s: %d pending, %d failed at the end; want all delivered", d.Destination, d.Pending, d.Failed)
		}
	}
	t.Logf("%d alerts posted once each across %d starts of %d instances and %d kills", len(alerts), starts, multiInstances, len(killAt))
}
