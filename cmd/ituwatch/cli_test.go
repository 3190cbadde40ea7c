package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLIForTest(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &cliEnv{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), lookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}}
	code = runCLI(context.Background(), e, args)
	return out.String(), errb.String(), code
}

func TestRulesEvalJSONOnTheCorpus(t *testing.T) {
	out, errOut, code := runCLIForTest(t, nil, "rules", "eval", "--corpus", "../../rules/testdata/corpus.jsonl", "--json")
	if code != 0 {
		t.Fatalf("rules eval exited %d: %s", code, errOut)
	}
	var rep struct {
		MacroF1 float64 `json:"macro_f1"`
		Topics  map[string]struct {
			Precision, Recall, F1 float64
			TP, FP, FN            int
		} `json:"topics"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("rules eval --json printed %q: %v", out, err)
	}
	if len(rep.Topics) != 7 || rep.MacroF1 < 0.9 {
		t.Errorf("eval: %d topics, macro F1 %.3f; want 7 topics and at least 0.90", len(rep.Topics), rep.MacroF1)
	}
	if s := rep.Topics["new-ip"]; s.TP == 0 {
		t.Errorf("new-ip has no true positives: %+v", s)
	}
}

func TestRulesTestExplainsAndIgnoresTraps(t *testing.T) {
	out, _, code := runCLIForTest(t, nil, "rules", "test", "--text", "TSAG members debated the New IP proposal from FG-NET2030.")
	// Piped, the words that matched are not marked: "**" is nobody's emphasis.
	if code != 0 || !strings.Contains(out, "new-ip") || !strings.Contains(out, "«TSAG members debated the New IP proposal") || strings.Contains(out, "**") {
		t.Errorf("rules test on a New IP sentence (exit %d):\n%s", code, out)
	}
	out, _, _ = runCLIForTest(t, nil, "rules", "test", "--text", "The court ruled the new IP portfolio does not cover the camera.")
	if !strings.Contains(out, "no topic matched") {
		t.Errorf("rules test on a patent story matched:\n%s", out)
	}
}

func TestCheckConfigReportsEveryProblemWithoutSecrets(t *testing.T) {
	dir := t.TempDir()
	bad := `sources:
  - {id: a, type: rsss, url: "https://example.org/feed", schedule: "every day"}
routes:
  - {topics: ["*"], to: ["slack:#x"]}
slack: {bot_token: "${SLACK_BOT_TOKEN}", app_token: "xapp-literal-SECRET-777"}
`
	path := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCLIForTest(t, map[string]string{"SLACK_BOT_TOKEN": "xoxb-UNIQUE-SECRET-123"}, "check-config", "-c", path)
	if code != 1 {
		t.Errorf("check-config on a broken file exited %d, want 1", code)
	}
	for _, want := range []string{"bad.yaml:2", "rsss", "every day"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("check-config output lacks %q:\n%s", want, errOut)
		}
	}
	for _, secret := range []string{"UNIQUE-SECRET-123", "literal-SECRET-777"} {
		if strings.Contains(errOut, secret) {
			t.Errorf("check-config printed a secret %q:\n%s", secret, errOut)
		}
	}

	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("sources:\n  - {id: itu-news, type: rss, url: \"https://www.itu.int/hub/feed/\"}\n"), 0o600)
	out, errOut, code := runCLIForTest(t, nil, "check-config", "-c", good)
	if code != 0 || !strings.Contains(out, "OK") {
		t.Errorf("check-config on a good file: exit %d, out %q, err %q", code, out, errOut)
	}
}

func TestUnknownCommandAndHelp(t *testing.T) {
	if _, errOut, code := runCLIForTest(t, nil, "poll"); code != 2 || !strings.Contains(errOut, `unknown command "poll"`) {
		t.Errorf("unknown command: exit %d, %q", code, errOut)
	}
	if _, _, code := runCLIForTest(t, nil, "once", "-h"); code != 0 {
		t.Errorf("once -h exited %d, want 0", code)
	}
	if out, _, code := runCLIForTest(t, nil, "version"); code != 0 || !strings.HasPrefix(out, "ituwatch ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
}
