package rules_test

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"

	"github.com/ituwatch/ituwatch/internal/perf/corpus"
	"github.com/ituwatch/ituwatch/model"
	"github.com/ituwatch/ituwatch/rules"
)

// compareItems is the text every matcher reads: 200 items of news of about
// 2 KB, one sentence in 40 about the ITU and the Internet, so that most
// items match nothing, as in a real feed.
func compareItems() []model.Item {
	r := rand.New(rand.NewPCG(11, 12))
	items := make([]model.Item, 200)
	for i := range items {
		items[i] = model.Item{SourceID: "news", Title: corpus.Title(r, 40), Content: corpus.Text(r, 2000, 40)}
	}
	return items
}

func meanSize(items []model.Item) int64 {
	n := 0
	for _, it := range items {
		n += len(it.Title) + len(it.Content)
	}
	return int64(n / len(items))
}

// BenchmarkCompareMatchers measures ituwatch's engine with the builtin pack
// and with 5,000 generated phrases, and, on the same 5,000 phrases and the
// same items, an Aho-Corasick automaton (ASCII case-insensitive, with a
// word-boundary check on each hit), one (?i)\b…\b regexp per phrase and a
// single alternation regexp of all of them; then the realistic case, Zipf
// vocabulary text and phrases (vocab5000).
// One op is one item; MB/s is per core when run with -cpu 1:
//
//	go test ./rules -run '^$' -bench CompareMatchers -cpu 1 -benchmem
func BenchmarkCompareMatchers(b *testing.B) {
	items := compareItems()
	size := meanSize(items)
	phrases := corpus.Phrases(5000, 10, 1)
	gen, err := rules.ParsePack("generated", []byte(corpus.Pack(phrases, 50)))
	if err != nil {
		b.Fatal(err)
	}
	builtin, err := rules.LoadPack("builtin:itu")
	if err != nil {
		b.Fatal(err)
	}

	engine := func(p *rules.Pack) func(b *testing.B) {
		return func(b *testing.B) {
			e, err := rules.Compile(p)
			if err != nil {
				b.Fatal(err)
			}
			matched := 0
			for i := range items {
				if len(e.Match(&items[i])) > 0 {
					matched++
				}
			}
			b.SetBytes(size)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				e.Match(&items[i%len(items)])
				i++
			}
			b.ReportMetric(float64(matched)*200/float64(len(items)), "items-matched/200")
		}
	}
	// nomatch is the steady state the allocation target is about: items
	// that match nothing must not allocate.
	nomatch := func(p *rules.Pack) func(b *testing.B) {
		return func(b *testing.B) {
			e, err := rules.Compile(p)
			if err != nil {
				b.Fatal(err)
			}
			var quiet []model.Item
			for i := range items {
				if e.Match(&items[i]) == nil {
					quiet = append(quiet, items[i])
				}
			}
			b.SetBytes(meanSize(quiet))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				e.Match(&quiet[i%len(quiet)])
				i++
			}
		}
	}
	b.Run("ituwatch/builtin", engine(builtin))
	b.Run("ituwatch/builtin-nomatch", nomatch(builtin))
	b.Run("ituwatch/phrases5000", engine(gen))
	b.Run("ituwatch/phrases5000-nomatch", nomatch(gen))
	b.Run("aho-corasick/phrases5000", ahoCorasick(items, phrases, 50))
	b.Run("regexp-per-phrase/phrases5000", regexpPerPhrase(items, phrases, 50))
	b.Run("regexp-alternation/phrases5000", regexpAlternation(items, phrases))

	// The realistic case (issue 16): 2,000 items of ZipfText, tens of
	// thousands of distinct words, against 5,000 phrases of the same
	// vocabulary, many sharing words and prefixes.
	zitems := zipfItems()
	zsize := meanSize(zitems)
	zphrases := corpus.VocabPhrases(5000, 10, 1)
	zgen, err := rules.ParsePack("vocab", []byte(corpus.Pack(zphrases, 50)))
	if err != nil {
		b.Fatal(err)
	}
	items, size = zitems, zsize
	b.Run("ituwatch/vocab5000", engine(zgen))
	b.Run("ituwatch/vocab5000-nomatch", nomatch(zgen))
	b.Run("aho-corasick/vocab5000", ahoCorasick(zitems, zphrases, 50))
	b.Run("regexp-alternation/vocab5000", regexpAlternation(zitems, zphrases))
}

// zipfItems is the realistic text: 2,000 items (about 4 MB) of ZipfText,
// one sentence in 40 about the ITU and the Internet.
func zipfItems() []model.Item {
	r := rand.New(rand.NewPCG(21, 22))
	items := make([]model.Item, 2000)
	for i := range items {
		items[i] = model.Item{SourceID: "news", Title: corpus.ZipfTitle(r, 40), Content: corpus.ZipfText(r, 2000, 40)}
	}
	return items
}

// topicOf maps each phrase to its topic as corpus.Pack splits them.
func topicOf(n, topics int) []int {
	topic := make([]int, n)
	per := (n + topics - 1) / topics
	for i := range topic {
		topic[i] = i / per
	}
	return topic
}

// ahoCorasick is an ASCII case-insensitive DFA automaton over the phrases,
// overlapping matches, with a word-boundary check on each hit; one op
// counts the topics an item matches.
func ahoCorasick(items []model.Item, phrases []string, topics int) func(b *testing.B) {
	return func(b *testing.B) {
		topic := topicOf(len(phrases), topics)
		builder := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{
			AsciiCaseInsensitive: true,
			MatchKind:            ahocorasick.StandardMatch,
			DFA:                  true,
		})
		ac := builder.Build(phrases)
		hit := make([]bool, topics)
		match := func(it *model.Item) int {
			clear(hit)
			n := 0
			for _, text := range [...]string{it.Title, it.Content} {
				iter := ac.IterOverlapping(text)
				for m := iter.Next(); m != nil; m = iter.Next() {
					if wordAt(text, m.Start(), m.End()) && !hit[topic[m.Pattern()]] {
						hit[topic[m.Pattern()]] = true
						n++
					}
				}
			}
			return n
		}
		matched := countMatched(items, match)
		b.SetBytes(meanSize(items))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			match(&items[i%len(items)])
			i++
		}
		b.ReportMetric(matched, "items-matched/200")
	}
}

// phraseRegexp is a phrase as a regexp: quoted, spaces as \s+.
func phraseRegexp(p string) string {
	return strings.ReplaceAll(regexp.QuoteMeta(p), " ", `\s+`)
}

// regexpPerPhrase is one (?i)\b…\b regexp per phrase: the naive way, kept
// as a floor.
func regexpPerPhrase(items []model.Item, phrases []string, topics int) func(b *testing.B) {
	return func(b *testing.B) {
		res := make([]*regexp.Regexp, len(phrases))
		for i, p := range phrases {
			res[i] = regexp.MustCompile(`(?i)\b` + phraseRegexp(p) + `\b`)
		}
		per := (len(phrases) + topics - 1) / topics
		match := func(it *model.Item) int {
			n := 0
			for t := 0; t*per < len(res); t++ {
			topic:
				for _, re := range res[t*per : min((t+1)*per, len(res))] {
					for _, text := range [...]string{it.Title, it.Content} {
						if re.MatchString(text) {
							n++
							break topic
						}
					}
				}
			}
			return n
		}
		matched := countMatched(items[:20], match)
		b.SetBytes(meanSize(items))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			match(&items[i%len(items)])
			i++
		}
		b.ReportMetric(matched, "items-matched/200")
	}
}

// regexpAlternation is the fair regexp baseline: a single
// (?i)\b(?:p1|p2|…)\b over all the phrases, compiled once. It answers only
// whether the item matches any phrase, less than the engine's per-topic
// result, so it flatters the regexp. Go's regexp has no DFA, so this is
// slow; the items-matched figure is scaled from the first 20 items to bound
// the set-up time, and -benchtime 10x bounds the run.
func regexpAlternation(items []model.Item, phrases []string) func(b *testing.B) {
	return func(b *testing.B) {
		alts := make([]string, len(phrases))
		for i, p := range phrases {
			alts[i] = phraseRegexp(p)
		}
		re := regexp.MustCompile(`(?i)\b(?:` + strings.Join(alts, "|") + `)\b`)
		match := func(it *model.Item) int {
			if re.MatchString(it.Title) || re.MatchString(it.Content) {
				return 1
			}
			return 0
		}
		matched := countMatched(items[:20], match)
		b.SetBytes(meanSize(items))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			match(&items[i%len(items)])
			i++
		}
		b.ReportMetric(matched, "items-matched/200")
	}
}

// countMatched is how many of 200 items match (scaled from a sample).
func countMatched(items []model.Item, match func(*model.Item) int) float64 {
	matched := 0
	for i := range items {
		if match(&items[i]) > 0 {
			matched++
		}
	}
	return float64(matched) * 200 / float64(len(items))
}

// wordAt reports whether text[start:end] is whole words: no letter or digit
// touches it on either side (bytes of multi-byte runes count as letters).
func wordAt(text string, start, end int) bool {
	return (start == 0 || !wordByte(text[start-1])) && (end == len(text) || !wordByte(text[end]))
}

func wordByte(c byte) bool {
	return c >= 0x80 || c == '_' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
}
