package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func fetch(t *testing.T, method, url string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var webViewLine = regexp.MustCompile(`(?m)^web view: (http://127\.0\.0\.1:\d+/)$`)

// `ituwatch demo --web` runs the demo, prints where the web view is, and
// serves the demo's alerts there until interrupted.
func TestDemoWebServesTheDemosData(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	e := &cliEnv{stdout: stdout, stderr: stderr, stdin: strings.NewReader(""), lookupEnv: func(string) (string, bool) { return "", false }}
	done := make(chan int, 1)
	go func() { done <- runCLI(ctx, e, []string{"demo", "--web", "--web-listen", "127.0.0.1:0"}) }()
	stdout.waitFor(t, "web view: http://", 90*time.Second)
	m := webViewLine.FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no line \"web view: http://127.0.0.1:PORT/\" in:\n%s", stdout.String())
	}
	base := m[1]

	code, page, hdr := fetch(t, "GET", base)
	if code != 200 || !strings.Contains(page, "Alerts per topic and week") || !strings.Contains(page, "&amp;week=") {
		t.Errorf("timeline = %d, no bars:\n%s", code, page)
	}
	if !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("timeline CSP = %q", hdr.Get("Content-Security-Policy"))
	}
	code, page, _ = fetch(t, "GET", base+"alerts/1")
	if code != 200 || !strings.Contains(page, "<mark>") || !strings.Contains(page, "Why it matched") {
		t.Errorf("alert page = %d without highlighted words:\n%s", code, page)
	}
	code, page, _ = fetch(t, "GET", base+"search?q=ITU")
	if code != 200 || !strings.Contains(page, `href="/alerts/`) {
		t.Errorf("search = %d, no result linking an alert page", code)
	}
	for _, p := range []string{"documents", "sources", "rules", "rules/test?text=New+IP+at+the+ITU"} {
		if code, _, _ := fetch(t, "GET", base+p); code != 200 {
			t.Errorf("/%s = %d", p, code)
		}
	}
	if code, _, _ := fetch(t, "POST", base); code != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d; want 405", code)
	}
	cancel()
	select {
	case c := <-done:
		if c != 0 {
			t.Errorf("demo --web exited %d after the interrupt:\n%s", c, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("demo --web did not stop when interrupted")
	}
}

// `ituwatch run` serves the web view on web.listen, beside metrics.
func TestRunServesTheWebView(t *testing.T) {
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><guid>1</guid><title>ITU TSAG debates New IP &amp;lt;img src=x onerror=alert(1)&amp;gt;</title><description>The ITU study group discussed New IP and a redesigned network layer.</description></item>
</channel></rss>`)
	}))
	defer feed.Close()
	cfg := filepath.Join(t.TempDir(), "ituwatch.yaml")
	src := `store: {path: "` + filepath.Join(t.TempDir(), "w.db") + `"}
http: {allow_private_networks: true}
sources:
  - {id: feed, name: Test feed, type: rss, url: "` + feed.URL + `/feed.rss", schedule: "@every 1h"}
metrics: {listen: "127.0.0.1:0"}
web: {listen: "127.0.0.1:0"}
`
	if err := os.WriteFile(cfg, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startRun(t, cfg, nil)
	m := d.waitLog(t, regexp.MustCompile(`web view listening" listen=(\S+)`))
	base := "http://" + m[1] + "/"
	d.until(t, "the alert on the console", func() bool { return strings.Contains(d.stdout.String(), "TSAG debates") })
	code, page, _ := fetch(t, "GET", base+"alerts/1")
	if code != 200 || !strings.Contains(page, "&lt;img src=x onerror=alert(1)&gt;") || strings.Contains(page, "<img") {
		t.Errorf("alert page = %d; want the title shown as text:\n%s", code, page)
	}
	if code, page, _ := fetch(t, "GET", base+"sources"); code != 200 || !strings.Contains(page, "Test feed") {
		t.Errorf("sources = %d without the source", code)
	}
}
