package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/store"
)

// feedServer serves feeds with ETags and records what each request sent, so
// tests can see conditional GETs and 304s.
type feedServer struct {
	mu        sync.Mutex
	bodies    map[string]string
	etags     bool
	requests  []string // "path if-none-match status"
	notModded int
}

func (f *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, ok := f.bodies[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256([]byte(body))
	etag := `"` + hex.EncodeToString(sum[:6]) + `"`
	status := http.StatusOK
	if f.etags {
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			status = http.StatusNotModified
			f.notModded++
		}
	}
	f.requests = append(f.requests, fmt.Sprintf("%s %s %d", r.URL.Path, r.Header.Get("If-None-Match"), status))
	if status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, body)
}

func (f *feedServer) set(path, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bodies[path] = body
}

func rss(items ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test feed</title><link>http://example.test/</link>` +
		strings.Join(items, "") + `</channel></rss>`
}

// recentPubDate is an hour ago: items older than the 30-day back-catalogue
// cut-off are stored without alerting, so a fixed date would turn these
// tests red a month after it.
func recentPubDate() string { return time.Now().UTC().Add(-time.Hour).Format(time.RFC1123Z) }

func rssItem(guid, title, desc string) string {
	return fmt.Sprintf(`<item><guid isPermaLink="false">%s</guid><title>%s</title><link>http://example.test/%s</link><description>%s</description><pubDate>%s</pubDate></item>`,
		guid, title, guid, desc, recentPubDate())
}

var (
	itemNewIP = rssItem("a1", "TSAG debates New IP successor at ITU-T",
		"Delegates at the ITU-T advisory group discussed reviving the New IP proposal first tabled at FG-NET2030.")
	itemCWG = rssItem("a2", "CWG-Internet opens consultation under Resolution 102",
		"The Council Working Group on Internet-related public policy issues invites comments on the management of Internet resources.")
	itemPatent = rssItem("n1", "Court rules on new IP portfolio in handset patent case",
		"The judge found that the new IP acquired by the company does not cover the camera module.")
	itemStreaming = rssItem("n2", "Streaming platform gains OTT subscribers",
		"The OTT service added four million subscribers thanks to live sport.")
)

type alertLine struct {
	ID       int64  `json:"id"`
	Kind     string `json:"kind"`
	ParentID int64  `json:"parent_id"`
	Title    string `json:"title"`
	URL      string `json:"url"`
	Source   string `json:"source"`
	Topics   []struct {
		ID       string `json:"id"`
		Severity string `json:"severity"`
	} `json:"topics"`
	Matches []any `json:"matches"`
}

func (a alertLine) topicIDs() []string {
	var ids []string
	for _, t := range a.Topics {
		ids = append(ids, t.ID)
	}
	return ids
}

// runOnce runs `ituwatch once --json` in-process and returns the alerts it printed.
func runOnce(t *testing.T, cfgPath string) []alertLine {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &cliEnv{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""), lookupEnv: func(string) (string, bool) { return "", false }}
	if code := runCLI(context.Background(), env, []string{"once", "-c", cfgPath, "--json"}); code != 0 {
		t.Fatalf("once exited %d\nstderr:\n%s", code, stderr.String())
	}
	var out []alertLine
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if line == "" {
			continue
		}
		var a alertLine
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("once printed a line that is not JSON: %q: %v", line, err)
		}
		out = append(out, a)
	}
	return out
}

func writeConfig(t *testing.T, dir, base string) string {
	t.Helper()
	cfg := fmt.Sprintf(`store: {path: %s}
http: {allow_private_networks: true}
sources:
  - {id: policy-news, type: rss, url: "%s/news.rss", schedule: "@every 30m"}
  - {id: trade-press, type: rss, url: "%s/trade.rss", schedule: "@every 1h"}
rules: {packs: ["builtin:itu"]}
routes:
  - {topics: ["*"], min_severity: low, to: [console]}
`, filepath.Join(dir, "ituwatch.db"), base, base)
	path := filepath.Join(dir, "ituwatch.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOncePollsStoresAndAlertsOnlyOnce(t *testing.T) {
	fs := &feedServer{etags: true, bodies: map[string]string{
		"/news.rss":  rss(itemNewIP, itemCWG),
		"/trade.rss": rss(itemPatent, itemStreaming),
	}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, srv.URL)

	// First poll: the two ITU items alert, the two traps do not.
	alerts := runOnce(t, cfgPath)
	byTitle := map[string]alertLine{}
	for _, a := range alerts {
		byTitle[a.Title] = a
		if a.ID == 0 || a.URL == "" || a.Source == "" || len(a.Topics) == 0 || len(a.Matches) == 0 {
			t.Errorf("alert lacks required fields: %+v", a)
		}
	}
	if len(alerts) != 2 {
		t.Fatalf("got %d alerts, want 2 (New IP and CWG-Internet): %+v", len(alerts), alerts)
	}
	if got := byTitle["TSAG debates New IP successor at ITU-T"].topicIDs(); !contains(got, "new-ip") {
		t.Errorf("New IP item topics = %v, want new-ip among them", got)
	}
	if got := byTitle["CWG-Internet opens consultation under Resolution 102"].topicIDs(); !contains(got, "mandate-creep") {
		t.Errorf("CWG item topics = %v, want mandate-creep among them", got)
	}

	// The store has all four items and the two alerts.
	st, err := store.Open(context.Background(), filepath.Join(dir, "ituwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	recent, err := st.RecentAlerts(context.Background(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(recent) != 2 {
		t.Errorf("store has %d alerts, want 2", len(recent))
	}
	hits, err := st.Search(context.Background(), "patent", 5)
	if err != nil || len(hits) != 1 {
		t.Errorf("search for the quiet patent item: %d hits, err %v; want 1", len(hits), err)
	}
	st.Close()

	// Second poll: conditional GET, 304s, nothing printed.
	if again := runOnce(t, cfgPath); len(again) != 0 {
		t.Errorf("second poll alerted %d items, want 0: %+v", len(again), again)
	}
	fs.mu.Lock()
	if fs.notModded != 2 {
		t.Errorf("server answered %d conditional GETs with 304, want 2; requests: %v", fs.notModded, fs.requests)
	}
	fs.mu.Unlock()

	// A restart against a server that forgot its ETags: the bodies are the
	// same, so nothing is parsed into new alerts.
	fs.mu.Lock()
	fs.etags = false
	fs.mu.Unlock()
	if again := runOnce(t, cfgPath); len(again) != 0 {
		t.Errorf("poll without validators alerted %d items, want 0", len(again))
	}

	// The New IP story is revised: one update, linked to the first alert.
	first := byTitle["TSAG debates New IP successor at ITU-T"]
	revised := strings.Replace(itemNewIP, "TSAG debates New IP successor at ITU-T", "TSAG debates New IP successor at ITU-T (updated)", 1)
	fs.set("/news.rss", rss(revised, itemCWG))
	upd := runOnce(t, cfgPath)
	if len(upd) != 1 {
		t.Fatalf("after the revision got %d alerts, want 1 update: %+v", len(upd), upd)
	}
	if upd[0].Kind != "update" || upd[0].ParentID != first.ID {
		t.Errorf("revision alert kind=%q parent=%d, want update of #%d", upd[0].Kind, upd[0].ParentID, first.ID)
	}
}

func TestDemoAlertsFiveTopicsAndNoNegatives(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := &cliEnv{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""), lookupEnv: func(string) (string, bool) { return "", false }}
	if code := runCLI(context.Background(), env, []string{"demo", "--json"}); code != 0 {
		t.Fatalf("demo exited %d\nstderr:\n%s", code, stderr.String())
	}
	topics := map[string]bool{}
	titles := map[string]bool{}
	updates := 0
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var a alertLine
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("demo --json printed a non-JSON line %q: %v", line, err)
		}
		titles[a.Title] = true
		for _, id := range a.topicIDs() {
			topics[id] = true
		}
		if a.Kind == "update" {
			updates++
		}
	}
	if len(topics) < 5 {
		t.Errorf("demo alerted %d topics %v, want at least 5", len(topics), topics)
	}
	for title := range titles {
		for _, neg := range demoNegatives {
			if strings.Contains(title, neg) {
				t.Errorf("demo alerted a hard negative: %q", title)
			}
		}
	}
	if updates == 0 {
		t.Error("demo's third poll (revised listing) produced no update alert")
	}
}

// demoNegatives are words from the titles of the demo's hard negatives.
var demoNegatives = []string{"satellite", "mentoring", "AI for Good", "transparency report", "OTT subscribers", "new IP portfolio", "DNS resolver outage", "IPv6 deployment", "Ransomware"}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestOnceClustersOneStoryFromThreeFeeds(t *testing.T) {
	story := func(guid, title, link string) string {
		return fmt.Sprintf(`<item><guid isPermaLink="false">%s</guid><title>%s</title><link>%s</link><description>Delegates at TSAG argued over reviving the New IP proposal first tabled at FG-NET2030.</description><pubDate>%s</pubDate></item>`, guid, title, link, recentPubDate())
	}
	fs := &feedServer{etags: true, bodies: map[string]string{
		"/a.rss": rss(story("a-1", "TSAG split over New IP successor proposal at ITU-T", "https://www.policy.example/tsag-new-ip?utm_source=rss")),
		"/b.rss": rss(story("b-1", "TSAG split over New IP successor proposal", "http://policy.example/tsag-new-ip/")),
		"/c.rss": rss(story("c-1", "TSAG split over New IP successor proposal at ITU-T - Telecom Wire", "https://wire.example/story/991")),
	}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`store: {path: %s}
http: {allow_private_networks: true}
sources:
  - {id: dispatch, type: rss, url: "%[2]s/a.rss", schedule: "@every 30m"}
  - {id: aggregator, type: rss, url: "%[2]s/b.rss", schedule: "@every 30m"}
  - {id: telecom-wire, type: rss, url: "%[2]s/c.rss", schedule: "@every 30m"}
routes:
  - {topics: ["*"], to: [console]}
`, filepath.Join(dir, "ituwatch.db"), srv.URL)
	path := filepath.Join(dir, "ituwatch.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	alerts := runOnce(t, path)
	if len(alerts) != 1 {
		t.Fatalf("one story in three feeds gave %d alerts, want 1: %+v", len(alerts), alerts)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, "ituwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := st.Alert(context.Background(), alerts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.AlsoReportedBy) != 2 {
		t.Errorf("alert #%d from %s lists also reported by %v, want the two other sources", a.ID, a.Item.SourceID, a.AlsoReportedBy)
	}
}

// TestDemoShowsDocumentBodyAndRevisionDiff: the demo's PP-26 listing has a
// row whose title and source say nothing a topic matches; it alerts because
// the text of its Word file proposes revising Resolution 102, quotes that
// sentence and names its proposer; in the third poll its Rev.1 is an update
// whose tracked changes say what it adds. Without document text reading
// there would be no such alert at all.
func TestDemoShowsDocumentBodyAndRevisionDiff(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := &cliEnv{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""), lookupEnv: func(string) (string, bool) { return "", false }}
	if code := runCLI(context.Background(), env, []string{"demo"}); code != 0 {
		t.Fatalf("demo exited %d\nstderr:\n%s", code, stderr.String())
	}
	out := stdout.String()
	if s := stderr.String(); strings.Contains(s, "not read") || strings.Contains(s, "not found") {
		t.Errorf("the demo's documents were not all served:\n%s", s)
	}
	poll1, poll3, ok := strings.Cut(out, "── Poll 3")
	if !ok {
		t.Fatalf("no third poll in the demo's output:\n%s", out)
	}
	block := func(section, title string) string {
		i := strings.Index(section, title)
		if i < 0 {
			return ""
		}
		start := strings.LastIndex(section[:i], "━━ ")
		end := strings.Index(section[i:], "━━ ")
		if end < 0 {
			end = len(section) - i
		}
		if next := strings.Index(section[i:], "── "); next >= 0 && next < end {
			end = next
		}
		return section[start : i+end]
	}
	const title = "Addendum 14 to Document 1 — Proposals for the work of the Conference"
	first := block(poll1, title)
	if first == "" {
		t.Fatalf("the addendum whose body proposes revising Resolution 102 did not alert in the first poll:\n%s", poll1)
	}
	for _, want := range []string{"NEW ALERT", "proposed by RCC", "mandate-creep", "revise Resolution 102 so that ITU takes the lead on Internet-related public policy"} {
		if !strings.Contains(first, want) {
			t.Errorf("the addendum's alert lacks %q:\n%s", want, first)
		}
	}
	rev := block(poll3, title)
	for _, want := range []string{"UPDATE", "Rev.1", "Rev.1 adds 1 sentence (the proposer's tracked changes)", "+ " + demoRev1Sentence} {
		if !strings.Contains(rev, want) {
			t.Errorf("the addendum's Rev.1 update lacks %q:\n%s", want, rev)
		}
	}
}
