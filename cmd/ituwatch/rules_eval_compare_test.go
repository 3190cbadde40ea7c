package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkGolden compares out with testdata/name; go test -update rewrites it.
func checkGolden(t *testing.T, name, out string) {
	t.Helper()
	golden := filepath.Join("testdata", name)
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
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", golden, out)
	}
}

// The corpus carries url, source and note fields, as one exported from
// elsewhere does.
func TestRulesEvalMistakesByCause(t *testing.T) {
	out, errOut, code := runCLIForTest(t, nil, "rules", "eval", "--pack", "testdata/eval_old.yaml",
		"--corpus", "testdata/eval_causes.jsonl", "--mistakes")
	if code != 0 {
		t.Fatalf("rules eval exited %d: %s", code, errOut)
	}
	checkGolden(t, "rules_eval_mistakes.golden", out)
	for _, want := range []string{
		`ott: 2 false positives triggered by "OTT" deep in the text`,
		"new-ip: 1 false negative, hits below the threshold 3",
		`dns-naming: 1 false negative, only part of its rules held: "domain names" in the title, "DNS" in the first paragraph`,
		"r05 (score 2)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestRulesEvalCompare(t *testing.T) {
	out, errOut, code := runCLIForTest(t, nil, "rules", "eval", "--pack", "testdata/eval_new.yaml",
		"--compare", "testdata/eval_old.yaml", "--corpus", "testdata/eval_causes.jsonl")
	if code != 0 {
		t.Fatalf("rules eval --compare exited %d: %s", code, errOut)
	}
	checkGolden(t, "rules_eval_compare.golden", out)

	out, errOut, code = runCLIForTest(t, nil, "rules", "eval", "--pack", "testdata/eval_new.yaml",
		"--compare", "testdata/eval_old.yaml", "--corpus", "testdata/eval_causes.jsonl", "--json")
	var c struct {
		Fixed, Broken []struct {
			ItemID string `json:"item_id"`
			Cause  string `json:"cause"`
		}
		MacroBefore float64 `json:"macro_f1_before"`
	}
	if err := json.Unmarshal([]byte(out), &c); code != 0 || err != nil {
		t.Fatalf("--compare --json (exit %d, %v, %s):\n%s", code, err, errOut, out)
	}
	if len(c.Fixed) != 4 || len(c.Broken) != 1 || c.Broken[0].ItemID != "r09" || c.Broken[0].Cause != "no hit at all" || c.MacroBefore == 0 {
		t.Errorf("--compare --json: %+v", c)
	}

	// The same pack on both sides changes nothing.
	out, errOut, code = runCLIForTest(t, nil, "rules", "eval", "--compare", "builtin:itu", "--corpus", "../../rules/testdata/corpus.jsonl")
	if code != 0 || !strings.Contains(out, "0 fixed, 0 broken") {
		t.Errorf("builtin against itself (exit %d, %s):\n%s", code, errOut, out)
	}

	_, errOut, code = runCLIForTest(t, nil, "rules", "eval", "--compare", "testdata/no-such-pack.yaml", "--corpus", "testdata/eval_causes.jsonl")
	if code == 0 || !strings.Contains(errOut, "no-such-pack.yaml") {
		t.Errorf("missing old pack: exit %d, stderr %q", code, errOut)
	}
}

func TestRulesEvalMalformedCorpusLine(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.jsonl")
	if err := os.WriteFile(p, []byte(`{"id":"a","url":"https://example.org/"}`+"\n"+`{"id":"b",`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCLIForTest(t, nil, "rules", "eval", "--corpus", p)
	if code == 0 || !strings.Contains(errOut, "line 2: not a labelled item") {
		t.Errorf("malformed line: exit %d, stderr %q", code, errOut)
	}
}
