package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
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
`, filepath.Join(dir, "ituwatch.db"), feedSrv.URL, slackSrv.URL)
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
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	a, err := newApp(ctx, cfg, log, appOptions{stdout: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	done := make(chan struct{})
	go func() { _ = a.dispatcher.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

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
