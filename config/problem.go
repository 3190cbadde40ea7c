package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong (or, in Config.Warnings, doubtful) in a config
// file, located so that a person can go straight to it.
type Problem struct {
	File    string
	Line    int    // 1-based; 0 when the problem concerns the whole file
	Field   string // path of the field, e.g. "sources[2].schedule"; empty for syntax errors
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

// Problems is every problem found in one config file; Parse returns all of
// them at once so a user fixes the file in one go rather than one error per run.
type Problems []Problem

// Error lists one problem per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sortProblems puts problems in file order; problems found by later checks
// on the same line keep their discovery order.
func sortProblems(ps Problems) {
	slices.SortStableFunc(ps, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
}
