package rules

import (
	"unicode"
	"unicode/utf8"
)

// Text and phrases go through the same tokenizer so that a phrase matches
// whatever spelling, hyphenation or spacing the text uses: both become
// lowercase runs of letters or digits, split at every other character and at
// letter/digit transitions ("FG-NET2030" -> fg net 2030).

const (
	// maxTokenBytes bounds the lowercase copy of a token. Longer tokens can
	// still satisfy a prefix term but never equal a phrase word.
	maxTokenBytes = 64
	// maxPhraseTokens bounds how far a phrase can reach.
	maxPhraseTokens = 32

	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// Token kinds. An ideograph is a token of its own because Chinese and
// Japanese put no spaces between words.
const (
	kindNone = iota
	kindLetter
	kindDigit
	kindIdeo
	kindHigh // in asciiKind only: a non-ASCII byte, decode the rune
)

// asciiKind and asciiLower drive the ASCII fast path of the tokenizer.
var asciiKind, asciiLower = func() (kind, lower [256]uint8) {
	for i := range kind {
		c := uint8(i)
		lower[i] = c
		switch {
		case c >= 'a' && c <= 'z':
			kind[i] = kindLetter
		case c >= 'A' && c <= 'Z':
			kind[i] = kindLetter
			lower[i] = c + 'a' - 'A'
		case c >= '0' && c <= '9':
			kind[i] = kindDigit
		case c >= 0x80:
			kind[i] = kindHigh
		}
	}
	return
}()

// tokenizer walks a text once. After next returns true, start and end are
// the byte offsets of the token in the text and buf holds its lowercase form
// (at most maxTokenBytes; long reports that the token was longer).
type tokenizer struct {
	text  string
	i     int
	start int
	end   int
	kind  int
	long  bool
	buf   []byte // the lowercase token: a slice of arr
	arr   [maxTokenBytes + utf8.UTFMax]byte
	// hs[n] is the FNV-64a hash of buf[:n], kept while scanning so that the
	// folded word and every prefix of it are hashed in the same pass.
	hs [maxTokenBytes + 1]uint64
}

func (t *tokenizer) reset(text string) {
	t.text = text
	t.i = 0
}

// runeKind classifies a non-ASCII rune.
func runeKind(r rune) int {
	switch {
	case r == utf8.RuneError:
		return kindNone
	case unicode.IsLetter(r):
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) {
			return kindIdeo
		}
		return kindLetter
	case unicode.IsMark(r):
		// Combining marks belong to the letter before them (Devanagari
		// vowel signs, Arabic vowel marks, decomposed accents).
		return kindLetter
	case unicode.IsDigit(r):
		return kindDigit
	}
	return kindNone
}

func (t *tokenizer) next() bool {
	for {
		if !t.scan() {
			return false
		}
		if t.possessive() {
			continue
		}
		return true
	}
}

// possessive reports a lone "s" right after an apostrophe that follows a
// word: "ITU's" is the word ITU, so "ITU's role" matches "ITU role".
func (t *tokenizer) possessive() bool {
	if t.end-t.start != 1 || t.buf[0] != 's' || t.kind != kindLetter {
		return false
	}
	s := t.start
	var before int
	switch {
	case s >= 1 && t.text[s-1] == '\'':
		before = s - 1
	case s >= 3 && t.text[s-3:s] == "\u2019":
		before = s - 3
	default:
		return false
	}
	if before == 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(t.text[:before])
	if r < utf8.RuneSelf {
		k := asciiKind[byte(r)]
		return k == kindLetter || k == kindDigit
	}
	return runeKind(r) != kindNone
}

func (t *tokenizer) scan() bool {
	text := t.text
	i := t.i
	// Skip separators.
	kind := kindNone
	size := 0
	var r rune
	for i < len(text) {
		c := text[i]
		k := asciiKind[c]
		if k == kindNone {
			i++
			continue
		}
		if k != kindHigh {
			kind, size, r = int(k), 1, rune(c)
			break
		}
		r, size = utf8.DecodeRuneInString(text[i:])
		kind = runeKind(r)
		if kind != kindNone {
			break
		}
		i += size
	}
	if i >= len(text) {
		t.i = i
		return false
	}
	t.start = i
	t.kind = kind
	t.long = false
	hs := &t.hs
	arr := &t.arr
	hs[0] = fnvOffset
	h := uint64(fnvOffset)
	n := len(appendLower(arr[:0], r, size))
	for j := 0; j < n; j++ {
		h = (h ^ uint64(arr[j])) * fnvPrime
		hs[j+1] = h
	}
	i += size
	if kind != kindIdeo {
		for i < len(text) {
			c := text[i]
			k := asciiKind[c]
			if int(k) == kind {
				// The hot path: an ASCII letter or digit continuing the word.
				i++
				if n >= maxTokenBytes {
					t.long = true
					continue
				}
				c = asciiLower[c]
				arr[n] = c
				h = (h ^ uint64(c)) * fnvPrime
				n++
				hs[n] = h
				continue
			}
			if k != kindHigh {
				break
			}
			r, size := utf8.DecodeRuneInString(text[i:])
			if runeKind(r) != kind {
				break
			}
			i += size
			if n >= maxTokenBytes {
				t.long = true
				continue
			}
			m := len(appendLower(arr[:n], r, size))
			if m > maxTokenBytes {
				// A multi-byte rune crossed the cap: keep whole runes only.
				t.long = true
				continue
			}
			for ; n < m; n++ {
				h = (h ^ uint64(arr[n])) * fnvPrime
				hs[n+1] = h
			}
		}
	}
	t.buf = arr[:n]
	t.end = i
	t.i = i
	return true
}

// hash is the FNV-64a hash of the current token after plural folding.
func (t *tokenizer) hash() uint64 {
	n := len(t.buf)
	if t.kind != kindLetter {
		return t.hs[n]
	}
	keep, addY := foldPlural(t.buf)
	h := t.hs[keep]
	if addY {
		h = (h ^ 'y') * fnvPrime
	}
	return h
}

func appendLower(buf []byte, r rune, size int) []byte {
	if size == 1 && r < utf8.RuneSelf {
		c := byte(r)
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		return append(buf, c)
	}
	return utf8.AppendRune(buf, unicode.ToLower(r))
}

// foldPlural returns how the lowercase word w folds: keep bytes of it, then
// add 'y' if addY. Folding is deliberately light (services -> service,
// addresses -> address, policies -> policy, IPs -> ip) and is applied to text and
// phrases alike, so only two different words folding to the same form could
// ever cause a false match.
func foldPlural(w []byte) (keep int, addY bool) {
	n := len(w)
	if n < 3 || w[n-1] != 's' {
		return n, false
	}
	switch w[n-2] {
	case 's', 'u', 'i':
		return n, false // address, status, analysis: not plurals
	}
	switch string(w) {
	case "news", "series", "species", "always", "perhaps", "whereas", "chaos", "lens",
		"its", "has", "was", "his", "yes", "gas":
		return n, false
	}
	if n >= 5 && w[n-3] == 'i' && w[n-2] == 'e' {
		return n - 3, true // policies -> policy
	}
	if w[n-2] == 'e' {
		switch {
		case n >= 5 && w[n-3] == 's' && w[n-4] == 's':
			return n - 2, false // addresses -> address
		case w[n-3] == 'x':
			return n - 2, false // boxes -> box
		case n >= 5 && w[n-3] == 'h' && (w[n-4] == 'c' || w[n-4] == 's'):
			return n - 2, false // breaches -> breach, wishes -> wish
		}
	}
	return n - 1, false
}

// hashBytes is FNV-64a.
func hashBytes(b []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range b {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}

// foldedString is the folded form of a lowercase token, for tests and for
// explaining what a phrase became.
func foldedString(buf []byte, kind int) string {
	if kind != kindLetter {
		return string(buf)
	}
	keep, addY := foldPlural(buf)
	s := string(buf[:keep])
	if addY {
		s += "y"
	}
	return s
}
