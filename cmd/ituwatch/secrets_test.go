package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/bot/chat"
	"github.com/ituwatch/ituwatch/bot/matrix"
	"github.com/ituwatch/ituwatch/config"
)

// TestSecretsNeverShown runs the commands a person or a log collector sees
// with every secret set to a unique string, against a Slack that refuses the
// token and even echoes it back in its error, and checks that no output,
// log line, error or status reply carries any secret.
func TestSecretsNeverShown(t *testing.T) {
	secrets := map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-1111-S3CRETbot7f1e",
		"SLACK_APP_TOKEN":      "xapp-1-S3CRETapp2c9d",
		"SLACK_SIGNING_SECRET": "S3CRETsigning8a4b",
		"MATRIX_TOKEN":         "syt_S3CRETmatrix55aa",
		"MATRIX_PICKLE":        "S3CRETpickle0c0c",
	}
	lookup := func(k string) (string, bool) { v, ok := secrets[k]; return v, ok }

	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, rss(itemNewIP))
	}))
	defer feed.Close()
	// A hostile or broken Slack: it refuses every call and quotes the token
	// it was given in its error code.
	slackSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		tok := r.Form.Get("token")
		if tok == "" {
			tok = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": "bad token " + tok})
	}))
	defer slackSrv.Close()

	dir := t.TempDir()
	// A build without encryption refuses encryption.enabled before doing
	// anything, which would leave the runs below nothing to leak.
	cfgYAML := fmt.Sprintf(`store: {path: %q}
http: {allow_private_networks: true}
sources:
  - {id: policy-news, type: rss, url: "%s/news.rss", schedule: "@every 30m"}
routes:
  - {topics: ["*"], min_severity: low, to: [console, "slack:#itu-alerts"]}
slack:
  bot_token: ${SLACK_BOT_TOKEN}
  app_token: ${SLACK_APP_TOKEN}
  signing_secret: ${SLACK_SIGNING_SECRET}
  api_url: %q
matrix:
  homeserver: %q
  user_id: "@ituwatch:example.org"
  access_token: ${MATRIX_TOKEN}
  encryption: {enabled: %t, pickle_key: "${MATRIX_PICKLE}"}
`, filepath.Join(dir, "ituwatch.db"), feed.URL, slackSrv.URL+"/api/", slackSrv.URL, matrix.EncryptionCompiled())
	cfgPath := filepath.Join(dir, "ituwatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfgYAML), 0o600); err != nil {
		t.Fatal(err)
	}

	var seen bytes.Buffer
	run := func(args ...string) {
		var stdout, stderr bytes.Buffer
		env := &cliEnv{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""), lookupEnv: lookup}
		code := runCLI(context.Background(), env, args)
		fmt.Fprintf(&seen, "$ ituwatch %s (exit %d)\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	run("check-config", "-c", cfgPath, "--print")
	run("once", "-c", cfgPath, "--log-level", "debug")
	run("once", "-c", cfgPath, "--log-level", "debug", "--json")

	// The status command, after the failed deliveries were recorded.
	cfg, err := config.Parse(cfgPath, []byte(cfgYAML), lookup)
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	a, err := newApp(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), appOptions{stdout: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.pollOnce(context.Background()); err != nil {
		fmt.Fprintf(&seen, "pollOnce: %v\n", err)
	}
	for _, cmd := range []string{"status", "sources", "help"} {
		rep := a.router.Handle(context.Background(), chat.Request{Text: cmd, Platform: "console"})
		b, _ := json.Marshal(rep)
		fmt.Fprintf(&seen, "status reply: %s\n", b)
	}
	fmt.Fprintf(&seen, "config printed with %%v: %v\n%%+v: %+v\n%%#v: %#v\n", cfg, cfg, cfg)
	seen.Write(logs.Bytes())
	a.Close()

	// A wrong kind of token in the right variable: the error must say what
	// is wrong without quoting it.
	secrets["SLACK_BOT_TOKEN"] = "xoxp-2222-S3CRETuser9d9d"
	run("once", "-c", cfgPath)

	out := seen.String()
	if !strings.Contains(out, "Slack") && !strings.Contains(out, "slack") {
		t.Fatalf("the runs never reached Slack; the test proves nothing:\n%s", out)
	}
	for name, v := range secrets {
		for _, part := range []string{v, v[strings.Index(v, "S3CRET"):]} {
			if strings.Contains(out, part) {
				t.Errorf("%s (%q) appears in the output", name, part)
			}
		}
	}
	if !strings.Contains(out, "S3CRETbot7f1e") && !strings.Contains(out, "[redacted]") {
		t.Error("nothing was redacted: check that the Slack error quoting the token was seen at all")
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("everything shown:\n%s", out)
	}
}
