package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/config"
	"github.com/ituwatch/ituwatch/internal/perf/corpus"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/pipeline"
	"github.com/ituwatch/ituwatch/watchers"
)

// latencyFeed serves one RSS feed that gains a new item per iteration.
type latencyFeed struct {
	mu    sync.Mutex
	items []string
}

func (f *latencyFeed) add(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// Titles differ in most words, so that no item is taken for another
	// report of an earlier story.
	words := strings.Fields("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa")
	var distinct []string
	for i := range 6 {
		distinct = append(distinct, words[(n*7+i*5)%len(words)]+fmt.Sprint(n))
	}
	item := rssItem(fmt.Sprintf("lat-%d", n), fmt.Sprintf("lat-%d %s: New IP at ITU-T", n, strings.Join(distinct, " ")),
		"Delegates at the ITU-T advisory group discussed reviving the New IP proposal first tabled at FG-NET2030.")
	f.items = append([]string{item}, f.items...)
	if len(f.items) > 20 {
		f.items = f.items[:20]
	}
}

func (f *latencyFeed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	body := rss(f.items...)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, body)
}

// fakeSlack answers chat.postMessage and reports when each item's alert
// arrived; every other method just says ok.
type fakeSlack struct {
	arrived chan string
}

var latencyMarker = regexp.MustCompile(`lat-\d+`)

func (s *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	if strings.HasSuffix(r.URL.Path, "/chat.postMessage") {
		at := time.Now()
		if m := latencyMarker.FindString(r.Form.Get("text") + r.Form.Get("blocks")); m != "" {
			s.arrived <- m + " " + at.Format(time.RFC3339Nano)
		}
		fmt.Fprintf(w, `{"ok":true,"channel":"C0LATENCY","ts":"%d.000100"}`, at.UnixMicro())
		return
	}
	fmt.Fprint(w, `{"ok":true,"messages":[],"channels":[],"response_metadata":{"next_cursor":""}}`)
}

// BenchmarkAlertLatency measures, through the real app wiring (scheduler
// PollAll of the one source → ingest with the builtin rules → store → dispatcher Wake →
// Slack notifier), the time from the start of the poll that finds a new
// item to a fake Slack server receiving its chat.postMessage. Each op is one
// new item; polls are spaced by the Slack notifier's per-channel pacing
// (one post per second), which would otherwise be what is measured:
//
//	go test ./cmd/ituwatch -run '^$' -bench AlertLatency -benchtime 200x
func BenchmarkAlertLatency(b *testing.B) {
	feed := &latencyFeed{}
	feedSrv := httptest.NewServer(feed)
	defer feedSrv.Close()
	slack := &fakeSlack{arrived: make(chan string, 16)}
	slackSrv := httptest.NewServer(slack)
	defer slackSrv.Close()

	ctx, a, _, _ := latencyApp(b, feedSrv.URL, slackSrv.URL)

	var lat []time.Duration
	lastPost := time.Time{}
	n := 0
	for b.Loop() {
		b.StopTimer()
		if wait := time.Until(lastPost.Add(1100 * time.Millisecond)); wait > 0 {
			time.Sleep(wait)
		}
		n++
		feed.add(n)
		want := fmt.Sprintf("lat-%d", n)
		b.StartTimer()
		start := time.Now()
		if res := a.scheduler.PollAll(ctx); len(res) != 1 || res[0].Err != nil || res[0].Items == 0 {
			b.Fatalf("poll: %+v", res)
		}
		timeout := time.After(10 * time.Second)
		for {
			var got string
			select {
			case got = <-slack.arrived:
			case <-timeout:
				b.Fatalf("no Slack post for %s within 10s", want)
			}
			id, at, _ := strings.Cut(got, " ")
			if id != want {
				continue // a post of an earlier item; not expected, but harmless
			}
			t, _ := time.Parse(time.RFC3339Nano, at)
			lat = append(lat, t.Sub(start))
			lastPost = t
			break
		}
	}
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
}

// The burst BenchmarkAlertLatencyDuringBurst ingests around the alert being
// measured: the polling benchmark's first cycle, 2,000 feeds of 20 items
// of about 1 KB on 64 loopback hosts, each answer 100 ms late. Every burst
// uses feeds it has not polled before (generation g serves feed numbers
// g*2,000 ...), so each one is 40,000 new items.
const (
	burstFeeds     = 2000
	burstItems     = 20
	burstItemBytes = 1000
	burstHosts     = 64
	burstGens      = 3
)

type consoleRoutes struct{}

func (consoleRoutes) DestinationsFor(string, model.Severity) []model.Destination {
	return []model.Destination{{Platform: "console"}}
}

// BenchmarkAlertLatencyDuringBurst measures what BenchmarkAlertLatency does
// (poll start → the fake Slack server receiving the alert) while the daemon
// is ingesting a 40,000-item burst from 2,000 other feeds into the same
// store, with the same dispatcher woken by both. The burst's alerts go to
// the console (discarded), so that the Slack channel's one-post-a-second
// pacing measures nothing of the burst. Each op is one alert whose poll
// started while a burst was being polled; a new burst starts whenever the
// last one is done:
//
//	go test ./cmd/ituwatch -run '^$' -bench AlertLatencyDuringBurst -benchtime 25x
func BenchmarkAlertLatencyDuringBurst(b *testing.B) {
	feed := &latencyFeed{}
	feedSrv := httptest.NewServer(feed)
	defer feedSrv.Close()
	slack := &fakeSlack{arrived: make(chan string, 16)}
	slackSrv := httptest.NewServer(slack)
	defer slackSrv.Close()

	burstSrv := corpus.NewFeedServer(burstFeeds*burstGens, burstItems, burstItemBytes, time.Now())
	burstSrv.Latency = 100 * time.Millisecond
	var hosts []string
	for h := range burstHosts {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", 2+h))
		if err != nil {
			b.Fatal(err)
		}
		srv := &http.Server{Handler: burstSrv, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		hosts = append(hosts, ln.Addr().String())
	}

	ctx, a, cfg, log := latencyApp(b, feedSrv.URL, slackSrv.URL)

	// The burst runs through its own scheduler and ingester (to route its
	// alerts to the console) onto the app's store, rules and dispatcher,
	// with the shipped http defaults.
	burstIn := pipeline.NewIngester(pipeline.Options{
		Store: a.store, Matcher: a.engine, Routes: consoleRoutes{}, Wake: a.dispatcher.Wake,
		// Later generations are dated further back than the default allows.
		Logger: log, MaxAge: 400 * 24 * time.Hour, AlertLimit: cfg.AlertLimit,
	})
	h := config.Default().HTTP
	burstFetcher := watchers.NewFetcher(watchers.FetcherOptions{
		Timeout: h.Timeout, MaxBodyBytes: h.MaxBodyBytes, PerHostConcurrency: h.PerHostConcurrency,
		BodyMemory: h.BodyMemory, AllowPrivateNetworks: true,
	})
	gen := 0
	var burstDone chan struct{}
	var burstStart time.Time
	var burstWalls []time.Duration
	startBurst := func() {
		if gen == burstGens {
			b.Fatalf("more than %d bursts needed; raise burstGens", burstGens)
		}
		s := watchers.NewScheduler(watchers.SchedulerOptions{States: a.store, Sink: burstIn.Ingest, Logger: log, PollAllConcurrency: h.Concurrency})
		for i := range burstFeeds {
			n := gen*burstFeeds + i
			src := watchers.NewFeedSource(fmt.Sprint("burst-", n), fmt.Sprintf("http://%s/feed/%d.rss", hosts[i%len(hosts)], n), burstFetcher)
			if err := s.Add(src, "@every 1h"); err != nil {
				b.Fatal(err)
			}
		}
		gen++
		burstDone = make(chan struct{})
		burstStart = time.Now()
		go func(done chan struct{}) {
			defer close(done)
			items := 0
			for _, r := range s.PollAll(ctx) {
				items += r.Items
			}
			if items != burstFeeds*burstItems && ctx.Err() == nil {
				panic(fmt.Sprintf("burst saw %d items, want %d", items, burstFeeds*burstItems))
			}
			burstWalls = append(burstWalls, time.Since(burstStart))
		}(burstDone)
		// Let the first answers (100 ms late) arrive and ingestion begin.
		time.Sleep(300 * time.Millisecond)
	}
	running := func() bool {
		if burstDone == nil {
			return false
		}
		select {
		case <-burstDone:
			return false
		default:
			return true
		}
	}

	var lat []time.Duration
	lastPost := time.Time{}
	n := 0
	for b.Loop() {
		b.StopTimer()
		if wait := time.Until(lastPost.Add(1100 * time.Millisecond)); wait > 0 {
			time.Sleep(wait)
		}
		if !running() {
			startBurst()
		}
		n++
		feed.add(n)
		want := fmt.Sprintf("lat-%d", n)
		b.StartTimer()
		start := time.Now()
		if res := a.scheduler.PollAll(ctx); len(res) != 1 || res[0].Err != nil || res[0].Items == 0 {
			b.Fatalf("poll: %+v", res)
		}
		timeout := time.After(30 * time.Second)
		for {
			var got string
			select {
			case got = <-slack.arrived:
			case <-timeout:
				b.Fatalf("no Slack post for %s within 30s", want)
			}
			id, at, _ := strings.Cut(got, " ")
			if id != want {
				continue
			}
			t, _ := time.Parse(time.RFC3339Nano, at)
			lat = append(lat, t.Sub(start))
			lastPost = t
			break
		}
	}
	b.StopTimer()
	if burstDone != nil {
		<-burstDone
	}
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
	b.ReportMetric(float64(gen), "bursts")
	var longest time.Duration
	for _, w := range burstWalls {
		longest = max(longest, w)
	}
	b.ReportMetric(longest.Seconds(), "burst-max-s")
}

// latencyApp starts what the latency benchmarks measure: the app with one
// RSS source at feedURL and every alert routed to the Slack Web API at
// slackURL, its dispatcher running until the benchmark ends.
func latencyApp(b *testing.B, feedURL, slackURL string) (context.Context, *app, *config.Config, *slog.Logger) {
	b.Helper()
	dir := b.TempDir()
	cfgText := fmt.Sprintf(`store: {path: %s}
http: {allow_private_networks: true}
sources:
  - {id: policy-news, type: rss, url: "%s/news.rss", schedule: "@every 1h"}
rules: {packs: ["builtin:itu"]}
routes:
  - {topics: ["*"], min_severity: low, to: ["slack:C0LATENCY"]}
slack:
  bot_token: ${SLACK_BOT_TOKEN}
  api_url: %s/api/
`, filepath.Join(dir, "ituwatch.db"), feedURL, slackURL)
	env := func(k string) (string, bool) {
		if k == "SLACK_BOT_TOKEN" {
			return "xoxb-benchmark", true
		}
		return "", false
	}
	cfg, err := config.Parse("bench.yaml", []byte(cfgText), env)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	a, err := newApp(ctx, cfg, log, appOptions{stdout: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = a.dispatcher.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done; a.Close() })
	return ctx, a, cfg, log
}
