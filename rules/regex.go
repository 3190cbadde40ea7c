package rules

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// requiredLiterals finds strings one of which every match of a regex must
// contain, so that Match can skip running it on text that has none of them.
// Matching is case-insensitive, so they are compared with the ASCII-lowered
// text; a regex needing non-ASCII text gets no such filter.
func requiredLiterals(expr string) (lits [][]byte, prefixed bool) {
	re, err := syntax.Parse("(?i)"+expr, syntax.Perl)
	if err != nil {
		return nil, false
	}
	re = re.Simplify()
	set, ok := prefixLiterals(re)
	prefixed = ok
	if !ok {
		set, ok = required(re)
	}
	if !ok || len(set) == 0 || len(set) > 16 {
		return nil, false
	}
	out := make([][]byte, len(set))
	for i, l := range set {
		if l == "" {
			return nil, false
		}
		for _, r := range l {
			if r >= utf8.RuneSelf {
				return nil, false
			}
		}
		out[i] = []byte(l)
	}
	return out, prefixed
}

// maxMatchLen bounds the bytes a match can span, or is -1.
func maxMatchLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0
	case syntax.OpLiteral:
		return len(re.Rune) * utf8.UTFMax
	case syntax.OpCharClass, syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		return utf8.UTFMax
	case syntax.OpCapture:
		return maxMatchLen(re.Sub[0])
	case syntax.OpQuest:
		return maxMatchLen(re.Sub[0])
	case syntax.OpRepeat:
		n := maxMatchLen(re.Sub[0])
		if re.Max < 0 || n < 0 {
			return -1
		}
		return min(n*re.Max, 1<<20)
	case syntax.OpConcat, syntax.OpAlternate:
		total := 0
		for _, sub := range re.Sub {
			n := maxMatchLen(sub)
			if n < 0 {
				return -1
			}
			if re.Op == syntax.OpConcat {
				total += n
			} else {
				total = max(total, n)
			}
		}
		return min(total, 1<<20)
	}
	return -1
}

// prefixLiterals finds strings one of which every match starts with.
func prefixLiterals(re *syntax.Regexp) ([]string, bool) {
	lits, _, ok := prefixLits(re, false)
	return lits, ok
}

// prefixLits is prefixLiterals that also says, per literal, whether a \b
// comes right before it (afterB: one came before re).
func prefixLits(re *syntax.Regexp, afterB bool) ([]string, []bool, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(re.Rune))}, []bool{afterB}, true
	case syntax.OpCapture, syntax.OpPlus:
		return prefixLits(re.Sub[0], afterB)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return prefixLits(re.Sub[0], afterB)
		}
	case syntax.OpAlternate:
		var out []string
		var wb []bool
		for _, sub := range re.Sub {
			s, b, ok := prefixLits(sub, afterB)
			if !ok {
				return nil, nil, false
			}
			out = append(out, s...)
			wb = append(wb, b...)
		}
		return out, wb, true
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			switch sub.Op {
			case syntax.OpWordBoundary:
				afterB = true
				continue
			case syntax.OpBeginLine, syntax.OpBeginText, syntax.OpNoWordBoundary, syntax.OpEmptyMatch:
				continue // zero-width: the match still starts at the literal
			}
			return prefixLits(sub, afterB)
		}
	}
	return nil, nil, false
}

// wordStartLiterals says which of a prefixed regex's literals (as
// requiredLiterals returned them) must start a word: a \b before a word
// character fails unless the byte before is not one, so Match need not try
// the regex where such a literal occurs inside a word ("pp" in "approved").
func wordStartLiterals(expr string, lits [][]byte) []bool {
	re, err := syntax.Parse("(?i)"+expr, syntax.Perl)
	if err != nil {
		return nil
	}
	set, wb, ok := prefixLits(re.Simplify(), false)
	if !ok || len(set) != len(lits) {
		return nil
	}
	out := make([]bool, len(lits))
	some := false
	for i := range lits {
		if set[i] != string(lits[i]) || len(lits[i]) == 0 {
			return nil
		}
		out[i] = wb[i] && isWordByte(lits[i][0])
		some = some || out[i]
	}
	if !some {
		return nil
	}
	return out
}

// isWordByte is an ASCII word character, as \b in Go's regexp sees them.
func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func required(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(re.Rune))}, true
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			s, ok := required(sub)
			if !ok {
				return nil, false
			}
			out = append(out, s...)
		}
		return out, true
	case syntax.OpConcat:
		var best []string
		for _, sub := range re.Sub {
			if s, ok := required(sub); ok && betterLiterals(s, best) {
				best = s
			}
		}
		return best, best != nil
	}
	return nil, false
}

// betterLiterals prefers the set whose shortest string is longer, then the
// smaller set.
func betterLiterals(a, b []string) bool {
	if b == nil {
		return true
	}
	shortest := func(s []string) int {
		n := 1 << 30
		for _, x := range s {
			n = min(n, len(x))
		}
		return n
	}
	if sa, sb := shortest(a), shortest(b); sa != sb {
		return sa > sb
	}
	return len(a) < len(b)
}
