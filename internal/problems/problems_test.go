package problems

import "testing"

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "a.yaml", Line: 3, Field: "http.timeout", Message: "m"}, "a.yaml:3: http.timeout: m"},
		{Problem{File: "a.yaml", Line: 3, Message: "m"}, "a.yaml:3: m"},
		{Problem{File: "a.yaml", Field: "topic x", Message: "m"}, "a.yaml: topic x: m"},
		{Problem{File: "a.yaml", Message: "m"}, "a.yaml: m"},
		{Problem{Line: 2, Message: "m"}, "line 2: m"},
		{Problem{Message: "m"}, "m"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

// Problems come out in file order, one a line; those on the same line keep
// the order they were found in, which follows the file's own order.
func TestListSortsByLineAndKeepsOrderWithin(t *testing.T) {
	var l List
	l.Addf("p.yaml", 7, "topic b", "second on %d", 7)
	l.Addf("p.yaml", 0, "", "about the whole file")
	l.Addf("p.yaml", 3, "", "first")
	l.Addf("p.yaml", 7, "topic b", "third on %d", 7)
	l.Sort()
	want := "p.yaml: about the whole file\np.yaml:3: first\np.yaml:7: topic b: second on 7\np.yaml:7: topic b: third on 7"
	if got := l.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}
