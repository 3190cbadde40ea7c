package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
)

// claim and done through `ituwatch chat`, on an alert `once` stored: the
// claim is recorded, recent and explain show it, and it is still there in
// the next session.
func TestChatClaimAndDoneSurviveARestart(t *testing.T) {
	srv := httptest.NewServer(&feedServer{bodies: map[string]string{"/news.rss": rss(itemNewIP), "/trade.rss": rss()}})
	defer srv.Close()
	cfgPath := writeConfig(t, t.TempDir(), srv.URL)
	run := func(args []string, stdin string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		env := &cliEnv{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(stdin), lookupEnv: func(string) (string, bool) { return "", false }}
		if code := runCLI(context.Background(), env, args); code != 0 {
			t.Fatalf("%v exited %d\nstderr:\n%s", args, code, stderr.String())
		}
		return stdout.String()
	}
	run([]string{"once", "-c", cfgPath}, "")

	out := run([]string{"chat", "-c", cfgPath}, "claim 1\nrecent\nunclaim 1\nclaim 99\ndone 1 sent to the delegation\n")
	for _, want := range []string{
		"Alert #1: claimed by the operator.",
		"#1 · high",
		"claimed by the operator",
		"Alert #1 is nobody's now (it was claimed by the operator).",
		"There is no alert #99.",
		"Alert #1: done by the operator — sent to the delegation.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("first session lacks %q:\n%s", want, out)
		}
	}

	out = run([]string{"chat", "-c", cfgPath}, "recent\nexplain 1\nnotes 1\n")
	for _, want := range []string{"done by the operator — sent to the delegation", "Done by the operator — sent to the delegation", "No notes on alert #1 yet."} {
		if !strings.Contains(out, want) {
			t.Errorf("after a restart, chat lacks %q:\n%s", want, out)
		}
	}
}
