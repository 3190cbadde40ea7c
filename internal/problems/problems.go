// Package problems lists the mistakes found in a file a person wrote (the
// config, a rule pack), each located so that they can go straight to it,
// so that every file's mistakes are reported all at once and read alike.
package problems

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong (or doubtful) in a file.
type Problem struct {
	File    string
	Line    int    // 1-based; 0 when the problem concerns the whole file
	Field   string // where in the file, e.g. "sources[2].schedule" or "topic new-ip"; may be empty
	Message string // what is wrong and what is expected; never a secret's value
}

// String formats the problem as "file:line: field: message".
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	} else if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// List is every problem found in a file, returned all at once so that a
// person fixes the file in one go rather than one error per run.
type List []Problem

// Addf adds a problem whose message is format filled in with args.
func (l *List) Addf(file string, line int, field, format string, args ...any) {
	*l = append(*l, Problem{File: file, Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

// Error lists one problem per line.
func (l List) Error() string {
	lines := make([]string, len(l))
	for i, p := range l {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Sort puts the problems in file order; problems found by later checks on
// the same line keep their discovery order.
func (l List) Sort() {
	slices.SortStableFunc(l, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
}
