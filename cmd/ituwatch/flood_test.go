package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/store"
)

// floodWord is a made-up word unique to item i, so that no two flood items
// read as one story and each can be found by search.
func floodWord(prefix string, i int) string {
	b := []byte(prefix)
	for n := i + 26*26; n > 0; n /= 26 {
		b = append(b, byte('a'+n%26))
	}
	return string(b)
}

func floodItems(n int) []string {
	items := make([]string, n)
	for i := range items {
		items[i] = rssItem(fmt.Sprintf("flood-%04d", i),
			fmt.Sprintf("TSAG debates New IP successor %s %s %s", floodWord("zq", i), floodWord("xv", i), floodWord("kw", i)),
			fmt.Sprintf("Delegates discussed the New IP proposal again, variant %s.", floodWord("mm", i)))
	}
	return items
}

type onceOutput struct {
	alertLine
	Held *struct {
		Count       int    `json:"count"`
		Source      string `json:"source"`
		Limit       int    `json:"limit"`
		Destination string `json:"destination"`
	} `json:"held"`
}

func runOnceRaw(t *testing.T, cfgPath string, env map[string]string) []onceOutput {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cli := &cliEnv{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""), lookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	if code := runCLI(context.Background(), cli, []string{"once", "-c", cfgPath, "--json"}); code != 0 {
		t.Fatalf("once exited %d\nstderr:\n%s", code, stderr.String())
	}
	var out []onceOutput
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if line == "" {
			continue
		}
		var a onceOutput
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("once printed a line that is not JSON: %q: %v", line, err)
		}
		out = append(out, a)
	}
	return out
}

// A hostile feed of 1,000 matching items, polled by `ituwatch once` with
// alerts routed to the console and to Slack: each destination gets at most
// the per-poll limit of alerts and one summary of the rest, every item is
// stored and searchable, and the next poll sends nothing.
func TestOnceCapsAFloodingFeed(t *testing.T) {
	// A limit of 3 instead of the default 20 keeps the test quick: the
	// Slack client paces posts to one a second per channel.
	const n, limit = 1000, 3
	fs := &feedServer{etags: true, bodies: map[string]string{"/flood.rss": rss(floodItems(n)...)}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	slackAPI := newFakeSlackAPI(t, "xoxb-flood-test")
	dir := t.TempDir()
	cfg := fmt.Sprintf(`store: {path: %q}
http: {allow_private_networks: true}
alerts: {max_per_poll: 3}
sources:
  - {id: flood, name: Flood Wire, type: rss, url: "%s/flood.rss"}
routes:
  - {topics: ["*"], min_severity: low, to: [console, "slack:#itu-alerts"]}
slack:
  bot_token: ${SLACK_BOT_TOKEN}
  api_url: %q
`, filepath.Join(dir, "ituwatch.db"), srv.URL, slackAPI.url())
	cfgPath := filepath.Join(dir, "ituwatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-flood-test"}

	printed := runOnceRaw(t, cfgPath, env)
	var alerts, summaries []onceOutput
	for _, a := range printed {
		if a.Kind == string(model.AlertSummary) {
			summaries = append(summaries, a)
		} else {
			alerts = append(alerts, a)
		}
	}
	if len(alerts) != limit {
		t.Errorf("once printed %d alerts, want the limit of %d", len(alerts), limit)
	}
	if len(summaries) != 1 || summaries[0].Held == nil || summaries[0].Held.Count != n-limit || summaries[0].Held.Source != "flood" || summaries[0].Held.Destination != "console" {
		t.Fatalf("once printed summaries %+v, want one saying %d more from flood", summaries, n-limit)
	}

	posts := slackAPI.accepted_()
	if len(posts) != limit+1 {
		t.Errorf("Slack got %d messages, want %d alerts and 1 summary", len(posts), limit)
	}
	var slackSummaries []slackPost
	for _, p := range posts {
		if strings.Contains(p.Text, "more alerts from flood") {
			slackSummaries = append(slackSummaries, p)
		}
	}
	if len(slackSummaries) != 1 || !strings.Contains(slackSummaries[0].Text, fmt.Sprint(n-limit)) {
		t.Errorf("Slack summaries = %+v, want one counting %d more alerts", slackSummaries, n-limit)
	}

	st, err := store.Open(context.Background(), filepath.Join(dir, "ituwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	stored := 0
	if err := st.EachItem(context.Background(), time.Time{}, func(model.Item) error { stored++; return nil }); err != nil {
		t.Fatal(err)
	}
	if stored != n {
		t.Errorf("store holds %d items, want all %d", stored, n)
	}
	for _, i := range []int{0, 500, n - 1} {
		hits, err := st.Search(context.Background(), floodWord("mm", i), 5)
		if err != nil || len(hits) != 1 || hits[0].AlertID == 0 {
			t.Errorf("search for item %d: %d hits, err %v; want it, with its (unsent) alert", i, len(hits), err)
		}
	}
	dests, err := st.DestinationStatuses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dests {
		if d.Pending != 0 || d.Failed != 0 {
			t.Errorf("destination %s: %d pending, %d failed; want everything delivered", d.Destination, d.Pending, d.Failed)
		}
	}
	st.Close()

	// The next poll, without validators so the body is read again: nothing
	// new, nothing sent.
	fs.mu.Lock()
	fs.etags = false
	fs.mu.Unlock()
	if again := runOnceRaw(t, cfgPath, env); len(again) != 0 {
		t.Errorf("second poll printed %d alerts, want 0", len(again))
	}
	if got := len(slackAPI.accepted_()); got != limit+1 {
		t.Errorf("after the second poll Slack has %d messages, want still %d", got, limit+1)
	}
}

// The summary goes through the outbox like an alert: killed after Slack
// accepted it but before Slack answered, the restarted daemon finds it in
// the channel (by its delivery id) and does not post it again.
func TestKillAfterSlackAcceptedTheSummary(t *testing.T) {
	r := newKillRig(t)
	r.feed.mu.Lock()
	r.feed.body = rss(floodItems(6)...)
	r.feed.mu.Unlock()
	cfg, err := os.ReadFile(r.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.cfg, append(cfg, "alerts: {max_per_poll: 2}\n"...), 0o600); err != nil {
		t.Fatal(err)
	}

	d := r.start()
	r.waitPosts(2, deliverAll)
	r.slack.setHoldNext() // posts are paced a second apart: the summary is next
	select {
	case held := <-r.slack.held:
		if !strings.Contains(held.Text, "+4 more alerts from policy-news") {
			t.Fatalf("the held post is %q, want the summary", held.Text)
		}
	case <-time.After(deliverAll):
		t.Fatal("the summary never reached Slack")
	}
	d.kill(t)

	d = r.start()
	r.waitDrained(deliverAll)
	if _, err := d.term(t); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	posts := r.slack.accepted_()
	count := map[int64]int{}
	summaries := 0
	for _, p := range posts {
		count[p.AlertID]++
		if strings.Contains(p.Text, "more alerts from") {
			summaries++
		}
	}
	if len(posts) != 3 || len(count) != 3 || summaries != 1 {
		t.Errorf("Slack holds %d posts of %d alerts, %d of them summaries; want 2 alerts and 1 summary, once each: %+v", len(posts), len(count), summaries, posts)
	}
}
