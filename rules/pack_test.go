package rules

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestParsePackBrokenGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/broken.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParsePack("broken.yaml", data)
	if err == nil {
		t.Fatal("ParsePack of a broken pack succeeded")
	}
	got := err.Error() + "\n"
	const golden = "testdata/broken.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run BrokenGolden -update)", err)
	}
	if got != string(want) {
		t.Errorf("messages differ from %s (rerun with -update if intended)\n got:\n%s\nwant:\n%s", golden, got, want)
	}
}

func TestParsePackErrors(t *testing.T) {
	const head = "pack: p\ntopics:\n  - id: t\n    name: T\n    severity: low\n"
	tests := []struct {
		name string
		yaml string
		want []string // each must appear, as a whole line
	}{
		{"not yaml", "pack: [", []string{"p.yaml:1: not valid YAML: did not find expected node content"}},
		{"empty", "", []string{"p.yaml: the file is empty; a pack needs pack:, and topics:"}},
		{"not a mapping", "- a\n", []string{"p.yaml:1: a pack is a mapping with the keys pack:, sets: and topics:"}},
		{"missing pack and topics", "sets: {}\n", []string{
			"p.yaml:1: pack: is missing; name the pack, e.g. pack: my-rules",
			"p.yaml:1: topics: is missing; a pack needs at least one topic"}},
		{"unknown top-level key", head + "    match: x\ntopcs: []\n", []string{`p.yaml:7: unknown key "topcs" (did you mean "topics"?)`}},
		{"near needs two", head + "    match:\n      near: [\"ITU\"]\n", []string{"p.yaml:7: topic t: near needs at least two terms"}},
		{"within zero", head + "    match: {near: [a, b], within: 0}\n", []string{`p.yaml:6: topic t: within must be a whole number of words from 1 to 1000, not "0"`}},
		{"bad regex", head + "    match: {regex: 'a(b'}\n", []string{`p.yaml:6: topic t: regex "a(b" is not valid: missing closing ): ` + "`a(b`"}},
		{"unknown set", head + "    match: {set: nope}\n", []string{`p.yaml:6: topic t: unknown set "nope" (this pack defines no sets; add it under sets:)`}},
		{"bad severity", "pack: p\ntopics:\n  - {id: t, name: T, severity: urgent, match: x}\n", []string{`p.yaml:3: topic t: unknown severity "urgent" (want low, medium, high or critical)`}},
		{"empty match", head + "    match: {}\n", []string{"p.yaml:6: topic t: empty match: give a phrase, phrases, set, regex, near, any, all or none"}},
		{"aliases", "pack: p\nsets:\n  a: &x [\"b\"]\n  c: *x\ntopics:\n  - {id: t, name: T, severity: low, match: x}\n", []string{"p.yaml:4: set c: anchors and aliases (& and *) are not supported in rule packs"}},
		{"duplicate key", head + "    match: x\n    match: y\n", []string{`p.yaml:7: topic t: key "match" appears twice`}},
		{"unknown lang", head + "    match: {phrase: UIT, lang: french}\n", []string{`p.yaml:6: topic t: lang must be one of en, fr, es, ru, ar, zh (the language the terms are written in), not "french"`}},
		{"lang on a group", head + "    match: {any: [UIT], lang: fr}\n", []string{"p.yaml:6: topic t: lang only applies to a term (phrase, phrases, set, regex or near), not to any"}},
	}
	for _, tt := range tests {
		_, err := ParsePack("p.yaml", []byte(tt.yaml))
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		lines := strings.Split(err.Error(), "\n")
		for _, w := range tt.want {
			found := false
			for _, l := range lines {
				found = found || l == w
			}
			if !found {
				t.Errorf("%s: missing %q in\n%s", tt.name, w, err)
			}
		}
	}
}

func TestParsePackGood(t *testing.T) {
	const y = `pack: good
sets:
  ctx: ["ITU", 2030, yes]
topics:
  - id: a-1
    name: A
    severity: Critical
    annotation: >-
      Why it matters.
    min_score: 2.5
    sources: itu-*
    match:
      any:
        - New IP
        - {phrases: ["x", "y"], weight: 0.5, fields: title}
        - near: [{set: ctx}, [a, b], c]
        - {regex: '\bRes\.?\s*102\b'}
      none: [{set: ctx}]
`
	p, err := ParsePack("good.yaml", []byte(y))
	if err != nil {
		t.Fatalf("ParsePack: %v", err)
	}
	if p.Name != "good" || p.Source != "good.yaml" || len(p.topics) != 1 || len(p.sets) != 1 {
		t.Fatalf("pack = %+v", p)
	}
	tp := p.topics[0]
	if tp.minScore != 2.5 || tp.annotation != "Why it matters." || len(tp.sources) != 1 || tp.severity.String() != "critical" {
		t.Errorf("topic = %+v", tp)
	}
	if got := p.sets[0].terms; strings.Join(got, ",") != "ITU,2030,yes" {
		t.Errorf("set terms = %q", got)
	}
	any := tp.match.any
	if len(any) != 4 || any[0].terms[0] != "New IP" || any[1].weight != 0.5 || any[1].fields != 1 || len(any[2].near) != 3 || any[2].within != defaultWithin {
		t.Errorf("nodes parsed wrongly: %+v", any)
	}
}
