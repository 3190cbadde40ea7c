package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
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
