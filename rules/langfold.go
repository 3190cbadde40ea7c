package rules

import (
	"unicode/utf8"
)

// Folding for the ITU's other five languages. Text and phrases go through
// the same folding, so a listed term matches however the text inflects or
// spells it, and only two different words folding alike could cause a false
// match. Characters fold while the token is read (foldRune); Russian and
// Arabic words then lose their endings and prefixes when hashed (stemWord).

// latinFold maps lowercase Latin letters U+00DF..U+017F to their base
// letters: "cybersécurité" is written without accents in capitals and in
// many mails, and "Resolución" is the same word with or without them.
var latinFold = func() (m [0x180 - 0xdf]string) {
	set := func(base string, letters string) {
		for _, r := range letters {
			m[r-0xdf] = base
		}
	}
	set("a", "àáâãäåāăą")
	set("ae", "æ")
	set("c", "çćĉċč")
	set("d", "ðďđ")
	set("e", "èéêëēĕėęě")
	set("g", "ĝğġģ")
	set("h", "ĥħ")
	set("i", "ìíîïĩīĭįı")
	set("j", "ĵ")
	set("k", "ķ")
	set("l", "ĺļľŀł")
	set("n", "ñńņňŉ")
	set("o", "òóôõöøōŏő")
	set("oe", "œ")
	set("r", "ŕŗř")
	set("s", "śŝşš")
	set("ss", "ß")
	set("t", "ţťŧ")
	set("th", "þ")
	set("u", "ùúûüũūŭůűų")
	set("w", "ŵ")
	set("y", "ýÿŷ")
	set("z", "źżž")
	return
}()

// appendFolded appends the folded form of a lowercase non-ASCII rune.
func appendFolded(buf []byte, r rune) []byte {
	switch {
	case r >= 0xdf && r < 0x180:
		if s := latinFold[r-0xdf]; s != "" {
			return append(buf, s...)
		}
	case r >= 0x300 && r <= 0x36f:
		return buf // combining accents of decomposed text
	case r == 'ё':
		r = 'е'
	case r >= 0x600 && r <= 0x6ff:
		switch {
		case r == 0x640, r >= 0x64b && r <= 0x652, r == 0x670:
			return buf // tatweel and vowel marks
		case r == 'أ', r == 'إ', r == 'آ', r == 'ٱ':
			r = 'ا'
		case r == 'ى':
			r = 'ي'
		case r == 'ة':
			r = 'ه'
		case r >= '٠' && r <= '٩':
			return append(buf, byte('0'+r-'٠'))
		case r >= '۰' && r <= '۹':
			return append(buf, byte('0'+r-'۰'))
		}
	case r >= '０' && r <= '９':
		return append(buf, byte('0'+r-'０'))
	}
	return utf8.AppendRune(buf, r)
}

// stemWord returns the part of a folded lowercase word that is matched:
// Russian words without their case ending, Arabic words without the article,
// the conjunctions and prepositions written onto them and a plural or
// adjective ending. Other words are returned whole.
func stemWord(w []byte) []byte {
	if len(w) < 4 || w[len(w)-1] < utf8.RuneSelf {
		return w
	}
	r, _ := utf8.DecodeLastRune(w)
	switch {
	case r >= 0x400 && r <= 0x4ff:
		return stemRussian(w)
	case r >= 0x620 && r <= 0x64a:
		return stemArabic(w)
	}
	return w
}

// russianEndings are the inflectional endings of nouns and adjectives,
// longest first. Derivational suffixes stay: "безопасность" and "опасный"
// must not meet.
var russianEndings = []string{
	"иями", "ями", "ами", "ией", "иям", "иях", "ого", "его", "ому", "ему", "ыми", "ими",
	"ия", "ии", "ию", "ие", "ий", "ой", "ей", "ый", "ая", "яя", "ое", "ее", "ые", "ую", "юю",
	"ом", "ем", "ам", "ям", "ах", "ях", "ов", "ев", "ья", "ье", "ью", "ьи", "ых", "их",
	"а", "я", "о", "е", "ы", "и", "у", "ю", "ь", "й",
}

// minStemRunes keeps short words whole: a stem of one or two letters would
// meet unrelated words.
const minStemRunes = 3

func stemRussian(w []byte) []byte {
	n := utf8.RuneCount(w)
	for _, end := range russianEndings {
		if len(end) < len(w) && string(w[len(w)-len(end):]) == end &&
			n-utf8.RuneCountInString(end) >= minStemRunes {
			return w[:len(w)-len(end)]
		}
	}
	return w
}

var (
	// Article forms, with a preposition before them: بال "with the",
	// كال "as the", لل "for the" (ل + ال drops the alef), ال "the".
	arabicArticles = []string{"بال", "كال", "لل", "ال"}
	// Endings after folding (ة is ه, ى is ي): plurals, the dual, the
	// feminine and the adjective ending.
	arabicEndings = []string{"ات", "ون", "ين", "ان", "ها", "يه", "ه", "ي"}
)

func stemArabic(w []byte) []byte {
	n := utf8.RuneCount(w)
	cut := func(p string, front bool) bool {
		k := utf8.RuneCountInString(p)
		if len(p) >= len(w) || n-k < minStemRunes {
			return false
		}
		if front && string(w[:len(p)]) == p {
			w, n = w[len(p):], n-k
			return true
		}
		if !front && string(w[len(w)-len(p):]) == p {
			w, n = w[:len(w)-len(p)], n-k
			return true
		}
		return false
	}
	// "and", "so" before everything else.
	if !cut("و", true) {
		cut("ف", true)
	}
	for _, a := range arabicArticles {
		if cut(a, true) {
			break
		}
	}
	// "with", "for", "as" written onto a word without the article. Applied
	// after the article too, so that "اللجنة" and "لجنة" fold alike.
	if !cut("ب", true) && !cut("ل", true) {
		cut("ك", true)
	}
	for _, s := range arabicEndings {
		if cut(s, false) {
			break
		}
	}
	return w
}
