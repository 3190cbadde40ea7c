package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Another file of the package may already own -update.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updatingGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func TestRulesEvalReportsEachLanguage(t *testing.T) {
	out, errOut, code := runCLIForTest(t, nil, "rules", "eval", "--corpus", "../../rules/testdata/langs.jsonl")
	if code != 0 {
		t.Fatalf("rules eval exited %d: %s", code, errOut)
	}
	golden := filepath.Join("testdata", "rules_eval_langs.golden")
	if updatingGolden() {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("rules eval output differs from %s (go test -update rewrites it):\n%s", golden, out)
	}
	// An English corpus keeps its old output: no language table.
	out, _, _ = runCLIForTest(t, nil, "rules", "eval", "--corpus", "../../rules/testdata/corpus.jsonl")
	if strings.Contains(out, "language") {
		t.Errorf("English-only eval shows a language table:\n%s", out)
	}
}

func TestRulesTestSaysTheLanguage(t *testing.T) {
	out, _, code := runCLIForTest(t, nil, "rules", "test", "--text", "Les services OTT à l'UIT : la Résolution 206 revient")
	if code != 0 || !strings.Contains(out, "ott (medium, score 8, matched in fr)") {
		t.Errorf("rules test on a French text (exit %d):\n%s", code, out)
	}
	out, _, _ = runCLIForTest(t, nil, "rules", "test", "--text", "OTT services at the ITU: Resolution 206 returns")
	if strings.Contains(out, "matched in") {
		t.Errorf("rules test on an English text names a language:\n%s", out)
	}
}
