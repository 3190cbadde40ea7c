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
)

// onceJSON runs "ituwatch once --json" and returns its alert lines as JSON
// objects, diff included.
func onceJSON(t *testing.T, cfgPath string) []map[string]any {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &cliEnv{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""), lookupEnv: func(string) (string, bool) { return "", false }}
	if code := runCLI(context.Background(), env, []string{"once", "-c", cfgPath, "--json"}); code != 0 {
		t.Fatalf("once exited %d\nstderr:\n%s", code, stderr.String())
	}
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if line == "" {
			continue
		}
		var a map[string]any
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("not JSON: %q: %v", line, err)
		}
		out = append(out, a)
	}
	return out
}

// A feed entry that only churns (its view counter, its "updated" stamp,
// white space) is not news; when a sentence is added, the update says
// which, with the words that matched marked.
func TestOnceUpdateSaysWhatChanged(t *testing.T) {
	const (
		first  = "Delegates at the ITU-T advisory group discussed the proposal. 1,234 views. Last updated 3 Dec 2026."
		churn  = "Delegates at the ITU-T advisory group   discussed the proposal. 1,410 views. Last updated 5 Dec 2026."
		change = "Delegates at the ITU-T advisory group discussed the proposal. A vote on reviving New IP is scheduled for May. 1,502 views. Last updated 6 Dec 2026."
	)
	fs := &feedServer{etags: true, bodies: map[string]string{
		"/news.rss":  rss(rssItem("a1", "TSAG debates New IP successor at ITU-T", first)),
		"/trade.rss": rss(),
	}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	cfgPath := writeConfig(t, t.TempDir(), srv.URL)

	if alerts := onceJSON(t, cfgPath); len(alerts) != 1 {
		t.Fatalf("first poll: %d alerts, want 1", len(alerts))
	}
	fs.mu.Lock()
	fs.bodies["/news.rss"] = rss(rssItem("a1", "TSAG debates New IP successor at ITU-T", churn))
	fs.mu.Unlock()
	if alerts := onceJSON(t, cfgPath); len(alerts) != 0 {
		t.Fatalf("churn only: %d alerts (%v), want none", len(alerts), alerts)
	}
	fs.mu.Lock()
	fs.bodies["/news.rss"] = rss(rssItem("a1", "TSAG debates New IP successor at ITU-T", change))
	fs.mu.Unlock()
	alerts := onceJSON(t, cfgPath)
	if len(alerts) != 1 || alerts[0]["kind"] != "update" {
		t.Fatalf("added sentence: %v, want one update", alerts)
	}
	diff, _ := alerts[0]["diff"].(map[string]any)
	lines, _ := diff["lines"].([]any)
	if len(lines) != 1 {
		t.Fatalf("diff = %v, want one added sentence", alerts[0]["diff"])
	}
	line := lines[0].(map[string]any)
	if line["kind"] != "added" || line["text"] != "A vote on reviving New IP is scheduled for May." {
		t.Errorf("diff line = %v, want the added sentence", line)
	}
	hit := false
	for _, p := range line["parts"].([]any) {
		if p := p.(map[string]any); p["hit"] == true && p["text"] == "New IP" {
			hit = true
		}
	}
	if !hit {
		t.Errorf("the matched words are not marked in %v", line["parts"])
	}
}

// hostileUpdate is a feed entry and its next version, which adds a
// sentence that tries to ping and inject markup; "New IP" matches.
var hostileUpdate = [2]string{
	rssItem("h1", "TSAG debates New IP successor at ITU-T", "Delegates at the ITU-T advisory group discussed the proposal."),
	rssItem("h1", "TSAG debates New IP successor at ITU-T",
		"Delegates at the ITU-T advisory group discussed the proposal. Vote &amp;lt;!channel&amp;gt; @room on New IP &amp;lt;b&amp;gt;now&amp;lt;/b&amp;gt; *today*."),
}

// The thread update in Slack shows the added sentence, its matched words
// in bold, nothing in it live: from the feed through "ituwatch once" to
// the Web API.
func TestOnceSlackThreadShowsWhatChanged(t *testing.T) {
	fs := &feedServer{etags: true, bodies: map[string]string{"/news.rss": rss(hostileUpdate[0])}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	slackAPI := newFakeSlackAPI(t, "xoxb-diff-test")
	dir := t.TempDir()
	cfg := fmt.Sprintf(`store: {path: %q}
http: {allow_private_networks: true}
sources:
  - {id: policy-news, type: rss, url: "%s/news.rss"}
routes:
  - {topics: ["*"], min_severity: low, to: ["slack:#itu-alerts"]}
slack:
  bot_token: ${SLACK_BOT_TOKEN}
  api_url: %q
`, filepath.Join(dir, "ituwatch.db"), srv.URL, slackAPI.url())
	cfgPath := filepath.Join(dir, "ituwatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-diff-test"}
	for i, body := range hostileUpdate {
		fs.mu.Lock()
		fs.bodies["/news.rss"] = rss(body)
		fs.mu.Unlock()
		if _, errOut, code := runCLIForTest(t, env, "once", "-c", cfgPath); code != 0 {
			t.Fatalf("once %d exited %d: %s", i, code, errOut)
		}
	}
	posts := slackAPI.accepted_()
	if len(posts) != 2 {
		t.Fatalf("Slack got %d messages, want the alert and its update", len(posts))
	}
	update := posts[1]
	if update.ThreadTS != posts[0].TS {
		t.Errorf("update thread_ts = %q, want the first alert's ts %q", update.ThreadTS, posts[0].TS)
	}
	var blocks []struct {
		Text struct{ Text string } `json:"text"`
	}
	if err := json.Unmarshal([]byte(update.Blocks), &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	var diff string
	for _, b := range blocks {
		if strings.Contains(b.Text.Text, "What changed") {
			diff = b.Text.Text
		}
	}
	want := ":heavy_plus_sign: Vote &lt;!channel&gt; @room on *New IP* &lt;b&gt;now&lt;/b&gt; ∗today∗."
	if !strings.Contains(diff, want) {
		t.Errorf("the update's diff section lacks %q:\n%s", want, diff)
	}
	if strings.Contains(update.Blocks, "<!channel>") || strings.Contains(update.Text, "<!channel>") {
		t.Errorf("a live <!channel> reached Slack: %s", update.Blocks)
	}
}

// The same through Matrix: the update is threaded under the first notice,
// its HTML shows the added sentence with <strong>New IP</strong>, and
// neither body pings the room.
func TestOnceMatrixThreadShowsWhatChanged(t *testing.T) {
	fs := &feedServer{etags: true, bodies: map[string]string{"/news.rss": rss(hostileUpdate[0])}}
	feedSrv := httptest.NewServer(fs)
	defer feedSrv.Close()
	hs := &fakeHomeserver{}
	hsSrv := httptest.NewServer(hs)
	defer hsSrv.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`store: {path: %s}
http: {allow_private_networks: true}
sources:
  - {id: policy-news, type: rss, url: "%s/news.rss"}
routes:
  - {topics: ["*"], to: ["matrix:!alerts:hs.test"]}
matrix: {homeserver: "%s", user_id: "@ituwatch:hs.test", access_token: "${MATRIX_ACCESS_TOKEN}"}
`, filepath.Join(dir, "ituwatch.db"), feedSrv.URL, hsSrv.URL)
	path := filepath.Join(dir, "ituwatch.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MATRIX_ACCESS_TOKEN": "syt-test-token"}
	for i, body := range hostileUpdate {
		fs.mu.Lock()
		fs.bodies["/news.rss"] = rss(body)
		fs.mu.Unlock()
		if _, errOut, code := runCLIForTest(t, env, "once", "-c", path); code != 0 {
			t.Fatalf("once %d exited %d: %s", i, code, errOut)
		}
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if len(hs.events) != 2 {
		t.Fatalf("homeserver got %d events, want the alert and its update", len(hs.events))
	}
	ev := hs.events[1]
	rel, _ := ev["m.relates_to"].(map[string]any)
	if rel["rel_type"] != "m.thread" || rel["event_id"] != "$ev1" {
		t.Errorf("m.relates_to = %v, want a thread on $ev1", rel)
	}
	html, _ := ev["formatted_body"].(string)
	body, _ := ev["body"].(string)
	want := "<li>+ Vote &lt;!channel&gt; @\u2060room on <strong>New IP</strong> &lt;b&gt;now&lt;/b&gt; *today*.</li>"
	if !strings.Contains(html, want) {
		t.Errorf("formatted_body lacks %q:\n%s", want, html)
	}
	if !strings.Contains(body, "+ Vote <!channel> @\u2060room on New IP <b>now</b> *today*.") {
		t.Errorf("body does not show the added sentence as text:\n%s", body)
	}
	if strings.Contains(strings.ToLower(body+html), "@room") {
		t.Errorf("the update pings @room:\n%s\n%s", body, html)
	}
}
