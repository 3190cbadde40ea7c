package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/notify"
	"github.com/ituwatch/ituwatch/config"
	"github.com/ituwatch/ituwatch/watchers"
)

// scrape GETs url and returns status and body.
func scrape(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// metricValue finds one sample in Prometheus text output; ok is false when
// the series is absent.
func metricValue(body, name string, labels map[string]string) (float64, bool) {
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		all := true
		for k, v := range labels {
			if !strings.Contains(line, fmt.Sprintf("%s=%q", k, v)) {
				all = false
				break
			}
		}
		if !all {
			continue
		}
		f, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		return f, err == nil
	}
	return 0, false
}

func TestMetricsAndHealthz(t *testing.T) {
	fs := &feedServer{bodies: map[string]string{"/news.rss": rss(itemNewIP, itemCWG)}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	dir := t.TempDir()
	cfgYAML := fmt.Sprintf(`store: {path: %s}
http: {allow_private_networks: true}
sources:
  - {id: policy-news, type: rss, url: "%s/news.rss", schedule: "@every 30m"}
  - {id: broken-feed, type: rss, url: "%s/missing.rss", schedule: "@every 30m"}
routes:
  - {topics: ["*"], min_severity: low, to: [console]}
metrics: {listen: "127.0.0.1:0"}
`, filepath.Join(dir, "ituwatch.db"), srv.URL, srv.URL)
	path := filepath.Join(dir, "ituwatch.yaml")
	if err := os.WriteFile(path, []byte(cfgYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(path, []byte(cfgYAML), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := newApp(ctx, cfg, slog.New(slog.DiscardHandler), appOptions{stdout: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	addr, err := a.startMetrics(ctx, cfg.Metrics.Listen)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr.String()
	if !strings.HasPrefix(addr.String(), "127.0.0.1:") {
		t.Fatalf("metrics listen on %s, want loopback", addr)
	}

	// Before any poll: healthy, empty queue. The event counters are
	// process-wide, so they are compared with this first scrape.
	_, before := scrape(t, base+"/metrics")
	code, body := scrape(t, base+"/healthz")
	if code != 200 || !strings.Contains(body, `"ok":true`) {
		t.Fatalf("healthz before polling: %d %s", code, body)
	}

	// One poll: one source works, one 404s; the alerts go to the console.
	if _, err := a.pollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	h := countingHandler{next: a.router}
	h.Handle(ctx, chat.Request{Text: "status", Platform: "slack", User: "U1"})
	h.Handle(ctx, chat.Request{Text: "frobnicate now", Platform: "slack", User: "U1"})

	code, body = scrape(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics answered %d:\n%s", code, body)
	}
	want := []struct {
		name   string
		labels map[string]string
		check  func(float64) bool
		says   string
	}{
		{"ituwatch_polls_total", map[string]string{"source": "policy-news", "outcome": "ok"}, eq(1), "1"},
		{"ituwatch_polls_total", map[string]string{"source": "broken-feed", "outcome": "failed"}, eq(1), "1"},
		{"ituwatch_poll_duration_seconds_count", map[string]string{"source": "policy-news"}, eq(1), "1"},
		{"ituwatch_items_polled_total", map[string]string{"source": "policy-news"}, eq(2), "2"},
		{"ituwatch_items_seen_total", map[string]string{"source": "policy-news"}, eq(2), "2"},
		{"ituwatch_source_consecutive_failures", map[string]string{"source": "broken-feed"}, eq(1), "1"},
		{"ituwatch_source_consecutive_failures", map[string]string{"source": "policy-news"}, eq(0), "0"},
		{"ituwatch_source_retired", map[string]string{"source": "broken-feed"}, eq(0), "0"},
		{"ituwatch_alerts_total", map[string]string{"topic": "new-ip"}, eq(1), "1"},
		{"ituwatch_deliveries_total", map[string]string{"destination": "console", "outcome": "delivered"}, atLeast(2), ">= 2"},
		{"ituwatch_outbox_pending", map[string]string{"destination": "console"}, eq(0), "0"},
		{"ituwatch_outbox_oldest_pending_age_seconds", map[string]string{"destination": "console"}, eq(0), "0"},
		{"ituwatch_commands_total", map[string]string{"platform": "slack", "command": "status", "result": "ok"}, atLeast(1), ">= 1"},
		{"ituwatch_commands_total", map[string]string{"platform": "slack", "command": "unknown", "result": "error"}, atLeast(1), ">= 1"},
	}
	for _, w := range want {
		v, ok := metricValue(body, w.name, w.labels)
		if was, had := metricValue(before, w.name, w.labels); had && !strings.HasPrefix(w.name, "ituwatch_outbox") && !strings.HasPrefix(w.name, "ituwatch_source") && !strings.HasPrefix(w.name, "ituwatch_items_seen") && !strings.HasPrefix(w.name, "ituwatch_alerts") {
			v -= was
		}
		if !ok || !w.check(v) {
			t.Errorf("%s%v = %v (present %v), want %s", w.name, w.labels, v, ok, w.says)
		}
	}
	if regexp.MustCompile(`command="frobnicate`).MatchString(body) {
		t.Error("an unknown command became a label value")
	}

	code, body = scrape(t, base+"/healthz")
	var hz health
	if err := json.Unmarshal([]byte(body), &hz); err != nil {
		t.Fatalf("healthz is not JSON: %q", body)
	}
	if code != 200 || !hz.OK || len(hz.SourcesFailing) != 1 || hz.SourcesFailing[0] != "broken-feed" || hz.Sources != 2 {
		t.Errorf("healthz after polling: %d %+v; want 200, ok, broken-feed failing", code, hz)
	}

	// A store that no longer answers makes the daemon unhealthy.
	a.store.Close()
	code, body = scrape(t, base+"/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"ok":false`) {
		t.Errorf("healthz with the store closed: %d %s; want 503", code, body)
	}
	// The event counters still scrape without the store.
	if code, body = scrape(t, base+"/metrics"); code != 200 || !strings.Contains(body, "ituwatch_polls_total") {
		t.Errorf("/metrics with the store closed: %d", code)
	}
}

func TestMetricsListenErrorSaysWhatToFix(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	a := &app{cfg: &config.Config{}, log: slog.New(slog.DiscardHandler), notifiers: map[string]notify.Notifier{},
		scheduler: watchers.NewScheduler(watchers.SchedulerOptions{})}
	if err := a.serveMetrics(context.Background(), ""); err != nil {
		t.Fatalf("metrics turned off: %v", err)
	}
	err = a.serveMetrics(context.Background(), busy.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "metrics.listen") {
		t.Errorf("busy port: err = %v, want one naming metrics.listen", err)
	}
}

func eq(want float64) func(float64) bool      { return func(v float64) bool { return v == want } }
func atLeast(want float64) func(float64) bool { return func(v float64) bool { return v >= want } }
