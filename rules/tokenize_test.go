package rules

import (
	"reflect"
	"strings"
	"testing"
)

type tok struct {
	Word       string
	Start, End int
}

func tokens(text string) []tok {
	var t tokenizer
	t.reset(text)
	var out []tok
	for t.next() {
		out = append(out, tok{foldedString(t.buf, t.kind), t.start, t.end})
	}
	return out
}

func TestTokenizerOffsets(t *testing.T) {
	tests := []struct {
		text string
		want []tok
	}{
		{"", nil},
		{"  --  ", nil},
		{"New IP", []tok{{"new", 0, 3}, {"ip", 4, 6}}},
		{"FG-NET2030", []tok{{"fg", 0, 2}, {"net", 3, 6}, {"2030", 6, 10}}},
		{"IPv6+", []tok{{"ipv", 0, 3}, {"6", 3, 4}}},
		{"C20/51(Rev.1)-E", []tok{{"c", 0, 1}, {"20", 1, 3}, {"51", 4, 6}, {"rev", 7, 10}, {"1", 11, 12}, {"e", 14, 15}}},
		{"Union's role", []tok{{"union", 0, 5}, {"role", 8, 12}}},
		{"Union\u2019s role", []tok{{"union", 0, 5}, {"role", 10, 14}}},
		{"'s alone", []tok{{"s", 1, 2}, {"alone", 3, 8}}},
		{"Télécom Ünion", []tok{{"telecom", 0, 9}, {"union", 10, 16}}},
		{"ПРАВИЛА связи", []tok{{"правил", 0, 14}, {"связ", 15, 25}}},
		{"الاتحاد الدولي", []tok{{"اتحاد", 0, 14}, {"دول", 15, 27}}},
		{"互联网治理", []tok{{"互", 0, 3}, {"联", 3, 6}, {"网", 6, 9}, {"治", 9, 12}, {"理", 12, 15}}},
		{"ab\xffcd", []tok{{"ab", 0, 2}, {"cd", 3, 5}}},
		{"हिन्दी", []tok{{"हिन्दी", 0, 18}}},
		{"x\u00a0y", []tok{{"x", 0, 1}, {"y", 3, 4}}},
	}
	for _, tt := range tests {
		if got := tokens(tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("tokens(%q)\n got %v\nwant %v", tt.text, got, tt.want)
		}
	}
}

func TestTokenizerLongToken(t *testing.T) {
	long := strings.Repeat("a", 200)
	var tz tokenizer
	tz.reset("x " + long + " y")
	var words []string
	for tz.next() {
		if tz.long != (tz.end-tz.start > maxTokenBytes) {
			t.Errorf("token %d..%d: long = %v", tz.start, tz.end, tz.long)
		}
		if len(tz.buf) > maxTokenBytes {
			t.Errorf("buffer grew to %d bytes", len(tz.buf))
		}
		words = append(words, string(tz.buf[:min(3, len(tz.buf))]))
	}
	if want := []string{"x", "aaa", "y"}; !reflect.DeepEqual(words, want) {
		t.Errorf("words = %v, want %v", words, want)
	}
	// A multi-byte rune that crosses the cap is cut whole.
	tz.reset(strings.Repeat("ж", 40))
	if !tz.next() || !tz.long || len(tz.buf) != 64 {
		t.Errorf("long ж token: long=%v len=%d", tz.long, len(tz.buf))
	}
}

func TestPluralFolding(t *testing.T) {
	tests := []struct{ in, want string }{
		{"services", "service"},
		{"service", "service"},
		{"addresses", "address"},
		{"address", "address"},
		{"policies", "policy"},
		{"policy", "policy"},
		{"breaches", "breach"},
		{"boxes", "box"},
		{"RIRs", "rir"},
		{"IPs", "ip"},
		{"ccTLDs", "cctld"},
		{"status", "status"},
		{"analysis", "analysis"},
		{"access", "access"},
		{"news", "news"},
		{"series", "series"},
		{"its", "its"},
		{"us", "us"},
		{"2030s", "2030"}, // the digits and the letter are separate tokens
	}
	for _, tt := range tests {
		toks := tokens(tt.in)
		got := toks[0].Word
		if tt.in == "2030s" {
			got = toks[0].Word
		}
		if got != tt.want {
			t.Errorf("fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The hashes kept while scanning must be those of the folded word and of its
// prefixes, or phrases and text would disagree.
func TestTokenHashes(t *testing.T) {
	var tz tokenizer
	tz.reset("Policies ADDRESSES Télécoms 2030 互 ünions services's " + strings.Repeat("x", 70))
	for tz.next() {
		if got, want := tz.hash(), hashBytes([]byte(foldedString(tz.buf, tz.kind))); got != want {
			t.Errorf("%q: hash %x, want %x", tz.buf, got, want)
		}
		for n := 0; n <= len(tz.buf); n++ {
			if got, want := tz.hs[n], hashBytes(tz.buf[:n]); got != want {
				t.Errorf("%q: prefix hash %d = %x, want %x", tz.buf, n, got, want)
			}
		}
	}
}

// foldedWords is what a text becomes for matching: each token after case,
// accent, script and ending folding.
func foldedWords(text string) []string {
	var t tokenizer
	t.reset(text)
	var out []string
	for t.next() {
		out = append(out, foldedString(t.buf, t.kind))
	}
	return out
}

func TestTokenizerLanguageFolding(t *testing.T) {
	// Each pair must match each other (same hashes), or must not.
	tests := []struct {
		lang, a, b string
		same       bool
	}{
		// French and Spanish: accents and case do not matter.
		{"fr", "cybersécurité", "CYBERSECURITE", true},
		{"fr", "Résolution 102", "RÉSOLUTION 102", true},
		{"fr", "noms de domaine", "Noms De Domaine", true},
		{"fr", "services OTT", "service OTT", true},
		{"es", "Resolución 102", "resolucion 102", true},
		{"es", "Unión Internacional", "union internacional", true},
		{"es", "ciberseguridad", "ciber seguridad", false},
		// Russian: case, ё, and the endings of one word.
		{"ru", "Резолюция 102", "Резолюции 102", true},
		{"ru", "Резолюция 102", "резолюцию 102", true},
		{"ru", "Резолюция 102", "Резолюцией 102", true},
		{"ru", "кибербезопасность", "кибербезопасности", true},
		{"ru", "Рабочая группа Совета", "Рабочей группы Совета", true},
		{"ru", "интернета", "Интернет", true},
		{"ru", "ещё", "еще", true},
		{"ru", "сеть", "суть", false},
		// Arabic: the article and the prefixes و ب ل, diacritics, tatweel,
		// hamza forms of alef, taa marbuta, plural endings.
		{"ar", "القرار 102", "قرار 102", true},
		{"ar", "القرار 102", "بالقرار 102", true},
		{"ar", "القرار 102", "والقرار 102", true},
		{"ar", "القرار 102", "للقرار 102", true},
		{"ar", "القرار 102", "القرارات 102", true},
		{"ar", "الأمن السيبراني", "الامن السيبرانى", true},
		{"ar", "الأمن السيبراني", "الأَمْن السـيـبـراني", true},
		{"ar", "القرار ١٠٢", "القرار 102", true},
		{"ar", "الاتصالات", "اتصالات", true},
		{"ar", "أمن", "قرار", false},
		// Chinese: each character is a word; full-width digits are digits.
		{"zh", "第102号决议", "第１０２号决议", true},
		{"zh", "第102号决议", "第 102 号决议", true},
		{"zh", "网络安全", "网络 安全", true},
		{"zh", "第102号决议", "第101号决议", false},
		// English is unchanged.
		{"en", "services", "service", true},
		{"en", "policies", "policy", true},
		{"en", "news", "new", false},
	}
	for _, tt := range tests {
		a, b := foldedWords(tt.a), foldedWords(tt.b)
		if got := reflect.DeepEqual(a, b); got != tt.same {
			t.Errorf("%s: %q -> %q, %q -> %q: same = %v, want %v", tt.lang, tt.a, a, tt.b, b, got, tt.same)
		}
		if tt.same {
			ha, hb := tokenHashes(tt.a), tokenHashes(tt.b)
			if !reflect.DeepEqual(ha, hb) {
				t.Errorf("%s: %q and %q fold alike but hash differently", tt.lang, tt.a, tt.b)
			}
		}
	}
}

func tokenHashes(text string) []uint64 {
	var t tokenizer
	t.reset(text)
	var out []uint64
	for t.next() {
		out = append(out, t.hash())
	}
	return out
}

func TestTokenizerCJKTokens(t *testing.T) {
	got := foldedWords("国际电联第102号决议")
	want := []string{"国", "际", "电", "联", "第", "102", "号", "决", "议"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
