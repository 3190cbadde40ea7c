package rules

import (
	"bytes"
	"encoding/binary"
	"regexp/syntax"
	"slices"
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

// regexMatches runs a regex leaf on field f, skipping text that lacks the
// literals every match needs, and trying prefixed regexes only where such a
// literal occurs: Go's regexp has no fast path for case-insensitive
// patterns, and scanning a whole field costs far more than the rest of Match.
func (s *state) regexMatches(l *cleaf, f int, fields *[numFields]string) bool {
	text := fields[f]
	if l.lits == nil {
		return l.re.MatchString(text)
	}
	s.lowerFields(fields)
	if !s.lowerOK {
		return l.re.MatchString(text)
	}
	lower := s.lower[f]
	tries := 0
	for li, lit := range l.lits {
		if l.litIDs != nil && l.wordStart[li] {
			for _, p := range s.wordStarts(l.litIDs[li], f) {
				if tries++; tries > maxRegexTries {
					return l.re.MatchString(text)
				}
				sub, _, ctx := l.window(text, int(p))
				if ctx && l.anchCtx.MatchString(sub) || !ctx && l.anch.MatchString(sub) {
					return true
				}
			}
			continue
		}
		for at := 0; ; {
			i := bytes.Index(lower[at:], lit)
			if i < 0 {
				break
			}
			if !l.prefixed {
				return l.re.MatchString(text)
			}
			p := at + i
			at = p + 1
			if l.midWord(li, lower, p) {
				continue
			}
			if tries++; tries > maxRegexTries {
				return l.re.MatchString(text) // a common literal: one scan is cheaper
			}
			sub, _, ctx := l.window(text, p)
			if ctx && l.anchCtx.MatchString(sub) || !ctx && l.anch.MatchString(sub) {
				return true
			}
		}
	}
	return false
}

// midWord reports that literal li of a regex, found at p, cannot start a
// match there: it must start a word and a word character comes before it.
func (l *cleaf) midWord(li int, lower []byte, p int) bool {
	return l.wordStart != nil && l.wordStart[li] && p > 0 && isWordByte(lower[p-1])
}

// wordStarts returns where regex literal id starts a word in field f, in
// order, stopping after maxRegexTries+1 (enough for regexMatches to give up
// trying and scan the whole field).
func (s *state) wordStarts(id int32, f int) []int32 {
	k := int(id)*numFields + f
	if s.litGen[k] != s.gen {
		s.litGen[k] = s.gen
		lit, lower := s.e.regexLits[id], s.lower[f]
		off := len(s.litPos)
		for at := 0; len(s.litPos)-off <= maxRegexTries; {
			i := bytes.Index(lower[at:], lit)
			if i < 0 {
				break
			}
			p := at + i
			if p == 0 || !isWordByte(lower[p-1]) {
				s.litPos = append(s.litPos, int32(p))
			}
			at = p + 1
		}
		s.litOff[k], s.litEnd[k] = int32(off), int32(len(s.litPos))
	}
	return s.litPos[s.litOff[k]:s.litEnd[k]]
}

// maxRegexTries bounds the anchored tries of a regex in one field; each
// costs a small fraction of a scan of the whole field.
const maxRegexTries = 64

// window is the text to try a prefixed regex at p on: from the rune before
// p (ctx) so that \b and (?m)^ see their true context, up to one whole rune
// past the longest possible match so that \b, \B and $ see theirs.
func (l *cleaf) window(text string, p int) (sub string, from int, ctx bool) {
	end := len(text)
	if l.maxLen >= 0 && p+l.maxLen+utf8.UTFMax < end {
		end = p + l.maxLen + utf8.UTFMax
	}
	if p == 0 {
		return text[:end], 0, false
	}
	q := p - 1
	for q > 0 && p-q < utf8.UTFMax && !utf8.RuneStart(text[q]) {
		q--
	}
	if _, size := utf8.DecodeRuneInString(text[q:]); q+size != p {
		q = p - 1
	}
	return text[q:end], q, true
}

// regexHits finds up to maxHitsPerTerm non-overlapping matches of a regex
// leaf in field f, the same way regexMatches looks for one.
func (s *state) regexHits(l *cleaf, f int, fields *[numFields]string) {
	text := fields[f]
	if l.lits != nil && l.prefixed {
		s.lowerFields(fields)
	}
	if l.lits == nil || !l.prefixed || !s.lowerOK {
		for _, loc := range l.re.FindAllStringIndex(text, maxHitsPerTerm) {
			s.addRegexHit(l, f, loc[0], loc[1])
		}
		return
	}
	lower := s.lower[f]
	s.starts = s.starts[:0]
	for li, lit := range l.lits {
		for at := 0; len(s.starts) <= maxRegexTries; {
			i := bytes.Index(lower[at:], lit)
			if i < 0 {
				break
			}
			if !l.midWord(li, lower, at+i) {
				s.starts = append(s.starts, int32(at+i))
			}
			at += i + 1
		}
	}
	if len(s.starts) > maxRegexTries {
		for _, loc := range l.re.FindAllStringIndex(text, maxHitsPerTerm) {
			s.addRegexHit(l, f, loc[0], loc[1])
		}
		return
	}
	slices.Sort(s.starts)
	lastEnd, n := 0, 0
	for _, p32 := range s.starts {
		p := int(p32)
		if p < lastEnd || n >= maxHitsPerTerm {
			continue
		}
		sub, from, ctx := l.window(text, p)
		re := l.anch
		if ctx {
			re = l.anchCtx
		}
		loc := re.FindStringIndex(sub)
		if loc == nil {
			continue
		}
		end := from + loc[1]
		if end > p {
			s.addRegexHit(l, f, p, end)
			lastEnd, n = end, n+1
		}
	}
}

func (s *state) addRegexHit(l *cleaf, f, start, end int) {
	if end > start && end <= 1<<31-1 {
		s.hits = append(s.hits, hitCand{term: l.expr, field: uint8(f), start: int32(start), end: int32(end)})
	}
}

// lowerFields makes the ASCII-lowered copies of the fields once per item.
func (s *state) lowerFields(fields *[numFields]string) {
	if s.lowerGen == s.gen {
		return
	}
	s.lowerGen = s.gen
	s.lowerOK = true
	for i, text := range fields {
		b := slices.Grow(s.lower[i][:0], len(text))[:len(text)]
		var high uint64
		j := 0
		// Eight bytes at a time: add 0x20 to the bytes that are A to Z.
		for ; j+8 <= len(text); j += 8 {
			t := text[j : j+8]
			v := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
				uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
			high |= v
			x := v & swarLow7
			upper := (x + (0x80-'A')*swarOnes) &^ (x + (0x80-'Z'-1)*swarOnes) &^ v & swarHigh
			binary.LittleEndian.PutUint64(b[j:], v+upper>>2)
		}
		for ; j < len(text); j++ {
			c := text[j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			high |= uint64(c)
			b[j] = c
		}
		s.lower[i] = b
		if high&swarHigh != 0 && (strings.Contains(text, "\u212a") || strings.Contains(text, "\u017f")) {
			s.lowerOK = false
		}
	}
}
