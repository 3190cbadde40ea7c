package main

import (
	"bytes"
	"context"
	"log"
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
