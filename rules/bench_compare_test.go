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
// word-boundary check on each hit) and one (?i)\b…\b regexp per phrase.
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
			b.ReportMetric(float64(matched), "items-matched/200")
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

	b.Run("aho-corasick/phrases5000", func(b *testing.B) {
		topic := make([]int, len(phrases))
		per := (len(phrases) + 49) / 50
		for i := range topic {
			topic[i] = i / per
		}
		builder := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{
			AsciiCaseInsensitive: true,
			MatchKind:            ahocorasick.StandardMatch,
			DFA:                  true,
		})
		ac := builder.Build(phrases)
		hit := make([]bool, 50)
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
		b.SetBytes(size)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			match(&items[i%len(items)])
			i++
		}
		b.ReportMetric(matched, "items-matched/200")
	})

	b.Run("regexp-per-phrase/phrases5000", func(b *testing.B) {
		res := make([]*regexp.Regexp, len(phrases))
		for i, p := range phrases {
			res[i] = regexp.MustCompile(`(?i)\b` + strings.ReplaceAll(regexp.QuoteMeta(p), " ", `\s+`) + `\b`)
		}
		per := (len(phrases) + 49) / 50
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
		b.SetBytes(size)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			match(&items[i%len(items)])
			i++
		}
		b.ReportMetric(matched, "items-matched/200")
	})
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
