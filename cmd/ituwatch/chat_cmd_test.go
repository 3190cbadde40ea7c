package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// In `ituwatch chat` the operator reads replies, not the log: subscribe
// answers in words and no log record lands in the conversation, whichever
// writer (ours or the process-wide default logger) it would go to.
func TestChatSubscribeAnswersWithoutALogLine(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "ituwatch.yaml")
	cfg := "store: {path: " + filepath.Join(dir, "ituwatch.db") + "}\n" +
		"sources:\n  - {id: itu-news, type: rss, url: \"https://www.itu.int/hub/feed/\"}\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var defaultLog bytes.Buffer
	log.SetOutput(&defaultLog) // where slog.Default writes
	defer log.SetOutput(os.Stderr)

	var stdout, stderr bytes.Buffer
	env := &cliEnv{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader("subscribe new-ip\nsubscriptions\nunsubscribe new-ip\n"), lookupEnv: func(string) (string, bool) { return "", false }}
	if code := runCLI(context.Background(), env, []string{"chat", "-c", cfgPath}); code != 0 {
		t.Fatalf("chat exited %d\nstderr:\n%s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"This console now receives new-ip alerts.", "new-ip", "This console no longer receives new-ip alerts."} {
		if !strings.Contains(out, want) {
			t.Errorf("conversation lacks %q:\n%s", want, out)
		}
	}
	for name, w := range map[string]string{"stdout": out, "stderr": stderr.String(), "the default logger": defaultLog.String()} {
		for _, bad := range []string{"INFO", "level=", "subscribed"} {
			if strings.Contains(w, bad) {
				t.Errorf("%s has a log line (%q):\n%s", name, bad, w)
			}
		}
	}
}

// `once` printed to a file or a pipe shows the words that matched as they
// are, in text and in JSON lines; JSON says where they are in snippet_parts.
func TestOnceOutputHasNoMarkdownMarkers(t *testing.T) {
	srv := httptest.NewServer(&feedServer{bodies: map[string]string{"/news.rss": rss(itemNewIP), "/trade.rss": rss()}})
	defer srv.Close()
	cfgPath := writeConfig(t, t.TempDir(), srv.URL)
	var text bytes.Buffer
	env := &cliEnv{stdout: &text, stderr: &bytes.Buffer{}, stdin: strings.NewReader(""), lookupEnv: func(string) (string, bool) { return "", false }}
	if code := runCLI(context.Background(), env, []string{"once", "-c", cfgPath}); code != 0 {
		t.Fatalf("once exited %d", code)
	}
	if !strings.Contains(text.String(), "reviving the New IP proposal") || strings.Contains(text.String(), "**") || strings.Contains(text.String(), "\x1b") {
		t.Errorf("once text output:\n%s", text.String())
	}

	cfgPath = writeConfig(t, t.TempDir(), srv.URL)
	var js bytes.Buffer
	env.stdout = &js
	if code := runCLI(context.Background(), env, []string{"once", "-c", cfgPath, "--json"}); code != 0 {
		t.Fatalf("once --json exited %d", code)
	}
	var a struct {
		Matches []struct {
			Snippets     []string `json:"snippets"`
			SnippetParts [][]struct {
				Text string `json:"text"`
				Hit  bool   `json:"hit"`
			} `json:"snippet_parts"`
		} `json:"matches"`
	}
	if err := json.Unmarshal(js.Bytes(), &a); err != nil {
		t.Fatalf("once --json: %v\n%s", err, js.String())
	}
	hits := 0
	for _, m := range a.Matches {
		for i, s := range m.Snippets {
			if strings.Contains(s, "**") {
				t.Errorf("snippet with markers: %q", s)
			}
			joined := ""
			for _, p := range m.SnippetParts[i] {
				joined += p.Text
				if p.Hit {
					hits++
				}
			}
			if joined != s {
				t.Errorf("snippet_parts %q do not make up the snippet %q", joined, s)
			}
		}
	}
	if hits == 0 {
		t.Errorf("no hit marked in snippet_parts:\n%s", js.String())
	}
}
