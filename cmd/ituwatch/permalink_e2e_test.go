package main

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// With web.base_url set, `ituwatch once` posts each alert to Slack, Matrix
// and the console with a link to its page in the web view,
// {base_url}/alerts/{id}, the id being the one `explain` takes.
func TestOnceLinksAlertsToTheWebView(t *testing.T) {
	feeds := &feedServer{etags: true, bodies: map[string]string{"/news.rss": rss(itemNewIP)}}
	feedSrv := httptest.NewServer(feeds)
	defer feedSrv.Close()
	sl := newFakeSlackAPI(t, "xoxb-permalink")
	hs := &fakeHomeserver{}
	hsSrv := httptest.NewServer(hs)
	defer hsSrv.Close()

	dir := t.TempDir()
	cfg := fmt.Sprintf(`store: {path: %s}
http: {allow_private_networks: true}
sources:
  - {id: policy-news, type: rss, url: "%s/news.rss"}
routes:
  - {topics: ["*"], to: [console, "slack:#itu-alerts", "matrix:!alerts:hs.test"]}
slack: {bot_token: "${SLACK_BOT_TOKEN}", api_url: "%s"}
matrix: {homeserver: "%s", user_id: "@ituwatch:hs.test", access_token: "${MATRIX_ACCESS_TOKEN}"}
web: {base_url: "https://itu.example.org/watch/"}
`, filepath.Join(dir, "ituwatch.db"), feedSrv.URL, sl.url(), hsSrv.URL)
	path := filepath.Join(dir, "ituwatch.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLIForTest(t, map[string]string{"SLACK_BOT_TOKEN": "xoxb-permalink", "MATRIX_ACCESS_TOKEN": "syt-test-token"}, "once", "-c", path)
	if code != 0 {
		t.Fatalf("once exited %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`NEW ALERT #(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the console printed no alert:\n%s", out)
	}
	link := "https://itu.example.org/watch/alerts/" + m[1]
	if !strings.Contains(out, "open in ituwatch: "+link+"\n") {
		t.Errorf("the console alert does not link %s:\n%s", link, out)
	}

	posts := sl.accepted_()
	if len(posts) != 1 {
		t.Fatalf("slack got %d posts, want 1", len(posts))
	}
	var blocks any
	if err := json.Unmarshal([]byte(posts[0].Blocks), &blocks); err != nil {
		t.Fatalf("slack blocks: %v", err)
	}
	found := false
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			found = found || strings.Contains(x, "<"+link+"|Open in ituwatch>")
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(blocks)
	if !found {
		t.Errorf("the slack alert does not link %s:\n%s", link, posts[0].Blocks)
	}

	hs.mu.Lock()
	defer hs.mu.Unlock()
	if len(hs.events) != 1 {
		t.Fatalf("homeserver got %d events, want 1", len(hs.events))
	}
	body, _ := hs.events[0]["body"].(string)
	html, _ := hs.events[0]["formatted_body"].(string)
	if !strings.Contains(html, `<a href="`+link+`">Open in ituwatch</a>`) || !strings.Contains(body, link) {
		t.Errorf("the matrix alert does not link %s:\nbody: %s\nhtml: %s", link, body, html)
	}
}
