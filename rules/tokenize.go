package rules

import (
	"encoding/binary"
	"math/bits"
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

// tokenizer walks a text once. After next or word returns true, start and
// end are the byte offsets of the token in the text and buf holds its
// lowercase form (at most maxTokenBytes; long reports that the token was
// longer).
type tokenizer struct {
	text  string
	i     int
	start int
	end   int
	kind  int
	long  bool
	ascii bool // every byte of the token is an ASCII letter or digit
	// hashed says that h is hashBytes(buf), computed while scanning.
	hashed bool
	h      uint64
	buf    []byte // the lowercase token: a slice of arr
	// arr has room for a multi-byte rune past the cap, for the 8-byte
	// stores of scan and for the 8-byte loads of chunk.
	arr [maxTokenBytes + 8]byte
	// hs[n] is the hash of buf[:n], filled by next (for Compile, which
	// needs the hash of a prefix term's bytes) but not by word (for Match,
	// which hashes only the prefixes some prefix term is as long as).
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

// next moves to the next token and fills hs.
func (t *tokenizer) next() bool {
	if !t.word() {
		return false
	}
	for n := 0; n <= len(t.buf); n++ {
		t.hs[n] = hashBytes(t.buf[:n])
	}
	return true
}

// word moves to the next token.
func (t *tokenizer) word() bool {
	for {
		if !t.scan() {
			return false
		}
		if t.end-t.start == 1 && t.possessive() {
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
	ascii := size == 1
	arr := &t.arr
	n := 0
	h := uint64(hashSeed)
	swarEnd := -1 // where the SWAR loop ended the token, with h its hash
	if !ascii {
		n = len(appendLower(arr[:0], r, size))
		i += size
	} else {
		// Eight ASCII bytes at a time while the token surely stays under
		// the cap: one data-dependent branch per token instead of one per
		// byte, and the hash computed on the way. The byte loop below
		// finishes what this leaves.
		for i+8 <= len(text) && n+8 <= maxTokenBytes {
			s := text[i : i+8]
			v := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
				uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
			var same uint64
			if kind == kindLetter {
				same = asciiLetters(v)
			} else {
				same = asciiDigits(v)
			}
			// OR 0x20 lowercases letters and leaves digits alone; the
			// bytes past the token are overwritten or ignored.
			lv := v | 0x2020202020202020
			binary.LittleEndian.PutUint64(arr[n:], lv)
			stop := ^same & swarHigh
			if stop == 0 {
				h = hashMix(h, lv)
				i += 8
				n += 8
				continue
			}
			k := bits.TrailingZeros64(stop) >> 3
			if k > 0 {
				h = hashMix(h, lv&(1<<(8*uint(k))-1))
			}
			i += k
			n += k
			swarEnd = i
			break
		}
	}
	// After the SWAR loop, an ASCII byte surely ends the token.
	if kind != kindIdeo && (swarEnd != i || text[i] >= utf8.RuneSelf) {
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
				arr[n] = asciiLower[c]
				n++
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
			ascii = false
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
			n = m
		}
	}
	t.buf = arr[:n]
	t.ascii = ascii
	t.end = i
	t.i = i
	t.hashed = swarEnd == i
	if t.hashed {
		t.h = hashFinal(h + uint64(n))
	}
	return true
}

const (
	swarOnes = 0x0101010101010101
	swarHigh = 0x8080808080808080
	swarLow7 = 0x7f7f7f7f7f7f7f7f
)

// asciiLetters has the high bit of each byte of v that is an ASCII letter.
// Bytes below 0x80 plus less than 0x80 never carry into the next byte.
func asciiLetters(v uint64) uint64 {
	x := (v | 0x2020202020202020) & swarLow7
	ge := x + (0x80-'a')*swarOnes
	gt := x + (0x80-'z'-1)*swarOnes
	return ge &^ gt &^ v & swarHigh
}

// asciiDigits has the high bit of each byte of v that is an ASCII digit.
func asciiDigits(v uint64) uint64 {
	x := v & swarLow7
	ge := x + (0x80-'0')*swarOnes
	gt := x + (0x80-'9'-1)*swarOnes
	return ge &^ gt &^ v & swarHigh
}

// hash is the hash of the current token after plural folding.
func (t *tokenizer) hash() uint64 {
	n := len(t.buf)
	if t.kind != kindLetter || n < 3 || t.buf[n-1] != 's' {
		if t.hashed {
			return t.h
		}
		if t.kind == kindLetter && n >= 4 && t.buf[n-1] >= utf8.RuneSelf {
			// Only Russian and Arabic words lose bytes here.
			if w := stemWord(t.buf); len(w) < n {
				return hashBytes(w)
			}
		}
		return t.prefixHash(n)
	}
	keep, addY := foldPlural(t.buf)
	if !addY {
		return t.prefixHash(keep)
	}
	var w [maxTokenBytes + 1]byte
	copy(w[:], t.buf[:keep])
	w[keep] = 'y'
	return hashBytes(w[:keep+1])
}

// prefixHash is hashBytes(t.buf[:n]), 8 bytes at a time.
func (t *tokenizer) prefixHash(n int) uint64 {
	h := uint64(hashSeed)
	i := 0
	for ; i+8 <= n; i += 8 {
		h = hashMix(h, t.chunk(i))
	}
	if i < n {
		h = hashMix(h, t.chunk(i)&(1<<(8*uint(n-i))-1))
	}
	return hashFinal(h + uint64(n))
}

// chunk is buf[i:i+8] as a little-endian number, with whatever follows the
// token in the last bytes. An ASCII token is read from the text, where OR
// 0x20 lowercases letters and leaves digits alone: reading the copy just
// written byte by byte would stall the load until the stores complete.
func (t *tokenizer) chunk(i int) uint64 {
	if j := t.start + i; t.ascii && j+8 <= len(t.text) {
		s := t.text[j : j+8]
		return (uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56) | 0x2020202020202020
	}
	return binary.LittleEndian.Uint64(t.arr[i:])
}

func appendLower(buf []byte, r rune, size int) []byte {
	if size == 1 && r < utf8.RuneSelf {
		c := byte(r)
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		return append(buf, c)
	}
	return appendFolded(buf, unicode.ToLower(r))
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

// hashBytes hashes a word 8 bytes at a time: a per-byte hash (FNV) was a
// chain of dependent multiplications as long as the word, on the hottest
// path of Match. Words up to 8 bytes long never collide.
func hashBytes(b []byte) uint64 {
	n := len(b)
	h := uint64(hashSeed)
	for len(b) >= 8 {
		h = hashMix(h, binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	if len(b) > 0 {
		var v uint64
		for i, c := range b {
			v |= uint64(c) << (8 * i)
		}
		h = hashMix(h, v)
	}
	return hashFinal(h + uint64(n))
}

// hashSeed starts every hash; the length is added at the end, so that the
// tokenizer can hash a word before it knows where the word ends.
const hashSeed = 0xff51afd7ed558ccd

func hashMix(h, v uint64) uint64 {
	h = (h ^ v) * 0x9e3779b97f4a7c15
	return h ^ h>>29
}

func hashFinal(h uint64) uint64 {
	h ^= h >> 32
	h *= 0xd6e8feb86659fd93
	return h ^ h>>32
}

// foldedString is the folded form of a lowercase token, for tests and for
// explaining what a phrase became.
func foldedString(buf []byte, kind int) string {
	if kind != kindLetter {
		return string(buf)
	}
	if w := stemWord(buf); len(w) < len(buf) {
		return string(w)
	}
	keep, addY := foldPlural(buf)
	s := string(buf[:keep])
	if addY {
		s += "y"
	}
	return s
}
