package textdiff

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ituwatch/ituwatch/model"
)

// show writes a diff as one line per sentence: "+ added", "- removed",
// "~ kept [-deleted-] {+inserted+}", hits in «».
func show(d *model.TextDiff) string {
	if d == nil {
		return "<nil>"
	}
	var lines []string
	for _, l := range d.Lines {
		var b strings.Builder
		b.WriteString(map[model.DiffLineKind]string{model.DiffAdded: "+ ", model.DiffRemoved: "- ", model.DiffChanged: "~ "}[l.Kind])
		for _, p := range l.Parts {
			t := p.Text
			if p.Hit {
				t = "«" + t + "»"
			}
			switch p.Op {
			case model.DiffIns:
				t = "{+" + t + "+}"
			case model.DiffDel:
				t = "[-" + t + "-]"
			}
			b.WriteString(t)
		}
		lines = append(lines, b.String())
	}
	return strings.Join(lines, "\n")
}

func TestCompare(t *testing.T) {
	const (
		s1 = "The Council Working Group met in Geneva."
		s2 = "It discussed the management of Internet resources."
		s3 = "Contributions are due by 1 March 2027."
	)
	tests := []struct {
		name     string
		old, new string
		want     string
	}{
		{"added sentence", s1 + " " + s2, s1 + " " + s2 + " " + s3, "+ " + s3},
		{"removed sentence", s1 + " " + s2 + " " + s3, s1 + " " + s3, "- " + s2},
		{"changed words inside a sentence", s1 + " " + s3, s1 + " Contributions are due by 15 March 2027.",
			"~ Contributions are due by [-1-] {+15+} March 2027."},
		{"reordered sentences are no change", s1 + " " + s2 + " " + s3, s3 + " " + s2 + " " + s1, "<nil>"},
		{"lines reordered", "a line\nanother line", "another line\na line", "<nil>"},
		{"identical", s1, s1, "<nil>"},
		{"only white space", s1 + "  " + s2, s1 + "\n\n   " + s2 + "  ", "<nil>"},
		{"view counter and updated stamp", s1 + " 1,234 views. Last updated 3 Dec 2026.", s1 + " 1,301 views. Last updated 7 Dec 2026.", "<nil>"},
		{"tracking parameters", "See https://www.itu.int/en/council?utm_source=x&id=4 for more.", "See https://www.itu.int/en/council?id=4&utm_source=y for more.", "<nil>"},
		{"a date that is news stays", s3, "Contributions are due by 1 April 2027.", "~ Contributions are due by 1 [-March-] {+April+} 2027."},
		{"abbreviations do not split", "See C26/51 Rev. 1 for details. It is short.", "See C26/51 Rev. 2 for details. It is short.",
			"~ See C26/51 Rev. [-1-] {+2+} for details."},
		{"long sentence keeps context near the change",
			"One two three four five six seven eight nine ten eleven twelve thirteen fourteen.",
			"One two three four five six seven eight nine TEN eleven twelve thirteen fourteen.",
			"~ … four five six seven eight nine [-ten-] {+TEN+} eleven twelve thirteen fourteen."},
		{"unlike sentences are removed and added", s1, s2, "- " + s1 + "\n+ " + s2},
		{"a clause added to a sentence", s3, "Contributions are due by 1 March 2027, through the TIES account.",
			"~ Contributions are due by 1 March [-2027.-] {+2027, through the TIES account.+}"},
		{"from nothing", "", s1, "+ " + s1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := show(Compare(tt.old, tt.new))
			if got != tt.want {
				t.Errorf("Compare:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestCompareCounts(t *testing.T) {
	d := Compare("A is here. B is here. C is here.", "A is here. C is there. D is new.")
	if d == nil || d.Added != 1 || d.Removed != 1 || d.Reworded != 1 {
		t.Fatalf("got %+v, want 1 added, 1 removed and 1 reworded", d)
	}
}

// Whatever a feed sends, one comparison stays small and quick.
func TestCompareIsBounded(t *testing.T) {
	var a, b strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&a, "Sentence number %d says something. ", i)
		fmt.Fprintf(&b, "Sentence number %d says something else. ", 20000-i)
	}
	start := time.Now()
	d := Compare(a.String(), b.String())
	took := time.Since(start)
	if d == nil || !d.Partial {
		t.Fatalf("a huge comparison should be partial, got %+v", d)
	}
	if len(d.Lines) > MaxLines || d.Omitted == 0 {
		t.Errorf("%d lines, %d omitted: want at most %d lines and the rest counted", len(d.Lines), d.Omitted, MaxLines)
	}
	if took > 3*time.Second { // about 50 ms on a laptop; -race on a slow box is far slower
		t.Errorf("comparison took %v", took)
	}

	long := strings.Repeat("word ", 5000)
	d = Compare(long+"end.", long+"finish.")
	if d == nil || len(d.Lines) != 2 {
		t.Fatalf("a changed sentence too long to compare word by word: got %s", show(d))
	}
	for _, l := range d.Lines {
		if n := len(strings.Fields(l.Parts[0].Text)); n > maxLineWords+1 {
			t.Errorf("line of %d words kept, want at most %d", n, maxLineWords+1)
		}
	}
}

func TestMarkHits(t *testing.T) {
	d := Compare("The group met.", "The group met. It discussed IPv6 deployment and ipv6-only networks. Nothing on TIPV6.")
	MarkHits(d, []model.Match{{Hits: []model.Hit{{Text: "IPv6"}}}})
	want := "+ It discussed «IPv6» deployment and «ipv6»-only networks.\n+ Nothing on TIPV6."
	if got := show(d); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	d = Compare("Contributions on IPv6 are due by 1 March.", "Contributions on IPv6 are due by 1 April.")
	MarkHits(d, []model.Match{{Hits: []model.Hit{{Text: "ipv6"}, {Text: "April"}}}})
	want = "~ … on «IPv6» are due by 1 [-March.-] {+«April»+}{+.+}"
	if got := show(d); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestScriptIsShortest(t *testing.T) {
	tests := []struct{ a, b string }{
		{"a b c a b b a", "c b a b a c"},
		{"", "x y"},
		{"x y", ""},
		{"a b c", "a b c"},
		{"a x c y e", "a c e z"},
	}
	for _, tt := range tests {
		a, b := strings.Fields(tt.a), strings.Fields(tt.b)
		ops, ok := script(a, b, 100)
		if !ok {
			t.Fatalf("%q → %q: gave up", tt.a, tt.b)
		}
		var gotA, gotB []string
		edits := 0
		for _, o := range ops {
			switch o.kind {
			case opEq:
				if a[o.i] != b[o.j] {
					t.Fatalf("%q → %q: kept %q as %q", tt.a, tt.b, a[o.i], b[o.j])
				}
				gotA, gotB = append(gotA, a[o.i]), append(gotB, b[o.j])
			case opDel:
				gotA = append(gotA, a[o.i])
				edits++
			case opIns:
				gotB = append(gotB, b[o.j])
				edits++
			}
		}
		if strings.Join(gotA, " ") != strings.Join(a, " ") || strings.Join(gotB, " ") != strings.Join(b, " ") {
			t.Errorf("%q → %q: script does not rebuild both sides: %v / %v", tt.a, tt.b, gotA, gotB)
		}
		if want := len(a) + len(b) - 2*lcs(a, b); edits != want {
			t.Errorf("%q → %q: %d edits, want %d", tt.a, tt.b, edits, want)
		}
	}
	if _, ok := script(strings.Fields("a b c d"), strings.Fields("w x y z"), 3); ok {
		t.Error("script should give up beyond maxD edits")
	}
}

func lcs(a, b []string) int {
	t := make([][]int, len(a)+1)
	for i := range t {
		t[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	return t[0][0]
}
