package rules

import (
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	p, err := ParsePack("test.yaml", []byte(`pack: test
sets:
  ctx: ["ITU", "TSAG"]
topics:
  - id: new-ip
    name: New IP
    severity: high
    annotation: Why it matters.
    sources: [itu-news]
    match:
      all:
        - {phrase: "New IP", weight: 3, fields: [title]}
        - any:
            - {set: ctx}
            - {regex: '\bSG\d+'}
            - near: [["redesign"], ["protocol", "layer"]]
        - none:
            - {phrases: ["IP camera", "intellectual property"], lang: en}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := p.Describe()
	if len(got) != 1 || got[0].ID != "new-ip" || got[0].Name != "New IP" || got[0].Annotation != "Why it matters." || got[0].Pack != "test" || strings.Join(got[0].Sources, ",") != "itu-news" {
		t.Fatalf("Describe = %+v", got)
	}
	var lines []string
	for _, l := range got[0].Lines {
		lines = append(lines, strings.Repeat("  ", l.Depth)+l.Text)
	}
	want := []string{
		"all of:",
		"  the phrase “New IP” (in the title, weight 3)",
		"  any of:",
		"    any phrase of the set ctx: “ITU”, “TSAG”",
		`    text matching the pattern /\bSG\d+/`,
		"    “redesign” and “protocol”, “layer” within 10 words of each other",
		"  none of:",
		"    any of the phrases “IP camera”, “intellectual property”",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("rules in words:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
