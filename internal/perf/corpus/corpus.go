// Package corpus generates the deterministic text, feeds and rule packs the
// performance benchmarks run on, so that every benchmark measures the same
// kind of input: news prose where most items concern nothing the rules look
// for and a few concern the ITU and the Internet.
package corpus

import (
	"fmt"
	"html"
	"math/rand/v2"
	"strings"
	"time"
)

// background is ordinary news, the bulk of what a press feed carries.
var background = []string{
	"The city council approved the budget for road repairs after a long evening session.",
	"Shares in the largest retailers fell slightly as investors waited for the inflation figures.",
	"A late goal gave the visiting side a narrow win in front of a sold-out stadium.",
	"Forecasters expect heavy rain across the north of the country over the weekend.",
	"The ministry of health opened a consultation on the hospital staffing plan.",
	"Engineers finished the inspection of the old railway bridge ahead of schedule.",
	"The museum will extend its opening hours during the summer exhibition.",
	"Farmers reported a better harvest than last year despite the dry spring.",
	"The central bank kept its main interest rate unchanged for the third month.",
	"A new ferry line will connect the two islands from the start of next season.",
	"Local schools are testing a shorter timetable on Fridays this term.",
	"The orchestra announced a tour of twelve cities with a new conductor.",
	"Negotiators said talks on the fishing quota would continue next week.",
	"The airline added three routes and retired two of its oldest aircraft.",
	"Volunteers planted several thousand trees along the river banks on Saturday.",
	"A software company released an update that fixes a battery drain on phones.",
	"Streaming services competed for the rights to the autumn football league.",
	"The regulator fined a mobile operator for misleading advertising of its data plans.",
	"Researchers published a study on the energy use of large data centres.",
	"The startup raised new funding to build satellite ground stations in the desert.",
	"Court hearings in the patent dispute between two handset makers resumed on Monday.",
	"The telecom company reported higher revenue from fibre connections in rural areas.",
	"Parliament debated a bill on online safety for children for the second time.",
	"The trade fair closed with a record number of visitors from abroad.",
}

// policy is the ITU and Internet-governance news the rules are written for.
var policy = []string{
	"Delegates at the ITU Council Working Group on Internet-related public policy issues discussed the management of Internet resources.",
	"A contribution to ITU-T Study Group 13 proposes a new addressing model that critics compare to the New IP proposal.",
	"The Plenipotentiary Conference is expected to revise Resolution 102 on the ITU's role in domain names and IP addresses.",
	"Several member states want the Union to take over functions now performed by the Regional Internet Registries.",
	"Civil-society groups asked the secretariat to publish the contributions to CWG-Internet before the open consultation closes.",
	"TSAG agreed to continue the study of future network architectures despite objections from the IETF.",
	"The draft resolution on over-the-top services would bring messaging apps under national licensing.",
	"A proposal at WTSA asks the ITU to standardise country-code top-level domain administration.",
	"Operators warned that a treaty-based approach to IPv6 address allocation would fragment the Internet.",
	"The focus group on network 2030 published a report on a top-down redesign of the Internet protocol.",
	"Digital sovereignty arguments featured in several proposals on data localisation at the Council session.",
	"An amendment to the International Telecommunication Regulations would cover cybersecurity and spam.",
}

// Text returns about n bytes of news prose: sentences drawn at random, one
// in policyEvery of them (0: never) about Internet governance.
func Text(r *rand.Rand, n, policyEvery int) string {
	var b strings.Builder
	b.Grow(n + 160)
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if policyEvery > 0 && r.IntN(policyEvery) == 0 {
			b.WriteString(policy[r.IntN(len(policy))])
		} else {
			b.WriteString(background[r.IntN(len(background))])
		}
	}
	return b.String()
}

// Title returns a headline-length line.
func Title(r *rand.Rand, policyEvery int) string {
	s := Text(r, 1, policyEvery)
	if len(s) > 90 {
		s = s[:strings.LastIndexByte(s[:90], ' ')]
	}
	return strings.TrimSuffix(s, ".")
}

// Words returns the distinct lower-case words of all sentences, for phrase
// generators that want phrases which start like real text.
func Words() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, background...), policy...) {
		for _, w := range strings.Fields(s) {
			w = strings.ToLower(strings.Trim(w, ".,;:'\"()"))
			if w == "" || seen[w] {
				continue
			}
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// Phrases returns n distinct plain phrases of one to three words: mostly
// invented words, a third starting with a real word of the text then leaving
// it, and hits phrases that occur in the policy sentences (two adjacent
// words), as in a real pack where almost every phrase is absent from any one
// item and most items match nothing.
func Phrases(n, hits int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 7))
	words := Words()
	sentences := policy
	invented := func() string {
		const letters = "abcdefghijklmnopqrstuvwxyz"
		b := make([]byte, 4+r.IntN(6))
		for i := range b {
			b[i] = letters[r.IntN(len(letters))]
		}
		return string(b)
	}
	seen := map[string]bool{}
	out := make([]string, 0, n)
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for len(out) < hits {
		f := strings.Fields(sentences[r.IntN(len(sentences))])
		j := r.IntN(len(f) - 1)
		a := strings.Trim(f[j], ".,;:'\"()")
		b := strings.Trim(f[j+1], ".,;:'\"()")
		if len(a) < 3 || len(b) < 3 || strings.ContainsAny(a+b, "-'") {
			continue
		}
		add(strings.ToLower(a + " " + b))
	}
	for len(out) < n {
		ws := make([]string, 1+r.IntN(3))
		for i := range ws {
			ws[i] = invented()
		}
		if r.IntN(3) == 0 {
			ws = append([]string{words[r.IntN(len(words))]}, ws...)
		}
		add(strings.Join(ws, " "))
	}
	return out
}

// Pack writes phrases as a rule pack of the given number of topics, each
// topic matching any of its share of the phrases.
func Pack(phrases []string, topics int) string {
	var b strings.Builder
	b.WriteString("pack: generated\ntopics:\n")
	per := (len(phrases) + topics - 1) / topics
	for t := 0; t*per < len(phrases); t++ {
		fmt.Fprintf(&b, "  - id: topic-%d\n    name: Topic %d\n    severity: medium\n    match:\n      any:\n", t, t)
		for _, p := range phrases[t*per : min((t+1)*per, len(phrases))] {
			fmt.Fprintf(&b, "        - %q\n", p)
		}
	}
	return b.String()
}

// FeedItem is one generated feed entry.
type FeedItem struct {
	GUID, Title, Link, Description string
	Published                      time.Time
}

// Feed returns the items of feed number feed: n items of about itemBytes of
// description each, dated before base. Version changes the text of the
// first item only, as a feed that gained or edited one story would.
func Feed(feed, n, itemBytes, version int, base time.Time) []FeedItem {
	r := rand.New(rand.NewPCG(uint64(feed), 99))
	items := make([]FeedItem, n)
	for i := range items {
		items[i] = FeedItem{
			GUID:        fmt.Sprintf("feed%d-item%d", feed, i),
			Title:       Title(r, 40),
			Link:        fmt.Sprintf("https://news.example/%d/%d", feed, i),
			Description: Text(r, itemBytes, 60),
			Published:   base.Add(-time.Duration(feed*n+i) * time.Minute),
		}
	}
	if version > 0 && n > 0 {
		items[0].Description += fmt.Sprintf(" Edited (version %d).", version)
	}
	return items
}

// RSS renders items as an RSS 2.0 document.
func RSS(title string, items []FeedItem) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<rss version="2.0"><channel><title>`)
	b.WriteString(html.EscapeString(title))
	b.WriteString(`</title><link>https://news.example/</link><description>generated</description>` + "\n")
	for _, it := range items {
		fmt.Fprintf(&b, "<item><guid isPermaLink=\"false\">%s</guid><title>%s</title><link>%s</link><pubDate>%s</pubDate><description>%s</description></item>\n",
			it.GUID, html.EscapeString(it.Title), it.Link, it.Published.UTC().Format(time.RFC1123Z), html.EscapeString(it.Description))
	}
	b.WriteString("</channel></rss>\n")
	return []byte(b.String())
}

// TinyRSS renders an RSS 2.0 document of n items of about 60 bytes each,
// a guid and a short title, undated: the shape of a feed that is large
// only because it lists a hundred thousand entries (6 MB for 100,000).
func TinyRSS(feed, n int) []byte {
	var b strings.Builder
	b.Grow(n * 64)
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<rss version="2.0"><channel><title>Tiny %d</title><link>https://tiny.example/</link>`+"\n", feed)
	for i := range n {
		fmt.Fprintf(&b, "<item><guid>t%d-%d</guid><title>Entry %d</title></item>\n", feed, i, i)
	}
	b.WriteString("</channel></rss>\n")
	return []byte(b.String())
}

// vocabSize is the number of invented words in Vocabulary: a million items
// of real news hold tens of thousands of distinct words, not the few
// hundred of the sentences above, and a search index behaves differently
// when most of its terms are rare.
const vocabSize = 40_000

var vocabulary = buildVocabulary()

// buildVocabulary returns the words ZipfText draws from, most frequent
// first: the words of the sentences above interleaved with the commonest
// invented words, then the rest of the invented words. Invented words are
// syllable strings, so they tokenize as one word each, as real words do.
func buildVocabulary() []string {
	r := rand.New(rand.NewPCG(16, 16))
	onsets := []string{"b", "br", "c", "ch", "d", "f", "g", "gr", "h", "k", "l", "m", "n", "p", "pr", "qu", "r", "s", "st", "t", "tr", "v", "w", "z"}
	nuclei := []string{"a", "e", "i", "o", "u", "ai", "ea", "ou"}
	codas := []string{"", "", "n", "r", "s", "l", "m", "nd", "st", "x"}
	domain := Words()
	seen := make(map[string]bool, vocabSize+len(domain))
	for _, w := range domain {
		seen[w] = true
	}
	invented := make([]string, 0, vocabSize)
	for len(invented) < vocabSize {
		var b strings.Builder
		for range 2 + r.IntN(2) {
			b.WriteString(onsets[r.IntN(len(onsets))])
			b.WriteString(nuclei[r.IntN(len(nuclei))])
			b.WriteString(codas[r.IntN(len(codas))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			invented = append(invented, w)
		}
	}
	out := make([]string, 0, len(domain)+len(invented))
	for i, w := range domain {
		out = append(out, w, invented[i])
	}
	return append(out, invented[len(domain):]...)
}

// Vocabulary returns the words of ZipfText, most frequent first.
func Vocabulary() []string { return vocabulary }

// ZipfText returns about n bytes of prose for a store of realistic
// vocabulary: the sentences of Text (one in policyEvery about Internet
// governance), and as many sentences of words drawn from Vocabulary with
// Zipf-distributed ranks, some carrying a year, a document number such as
// C26/51 or a hyphenated compound.
func ZipfText(r *rand.Rand, n, policyEvery int) string {
	z := rand.NewZipf(r, 1.1, 2, uint64(len(vocabulary)-1))
	var b strings.Builder
	b.Grow(n + 160)
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		switch {
		case policyEvery > 0 && r.IntN(policyEvery) == 0:
			b.WriteString(policy[r.IntN(len(policy))])
		case r.IntN(2) == 0:
			b.WriteString(background[r.IntN(len(background))])
		default:
			words := 6 + r.IntN(9)
			for i := range words {
				if i > 0 {
					b.WriteByte(' ')
				}
				w := vocabulary[z.Uint64()]
				if i == 0 {
					w = strings.ToUpper(w[:1]) + w[1:]
				}
				b.WriteString(w)
				switch r.IntN(60) {
				case 0:
					fmt.Fprintf(&b, " %d", 1990+r.IntN(46))
				case 1:
					fmt.Fprintf(&b, " C%02d/%d", 10+r.IntN(17), 1+r.IntN(120))
				case 2:
					b.WriteByte('-')
					b.WriteString(vocabulary[z.Uint64()])
				}
			}
			b.WriteByte('.')
		}
	}
	return b.String()
}

// ZipfTitle returns a headline-length line of ZipfText.
func ZipfTitle(r *rand.Rand, policyEvery int) string {
	s := ZipfText(r, 1, policyEvery)
	if len(s) > 90 {
		s = s[:strings.LastIndexByte(s[:90], ' ')]
	}
	return strings.TrimSuffix(s, ".")
}

// VocabPhrases returns n distinct phrases of one to four words of
// Vocabulary, as a pack written from real vocabulary looks: words drawn with
// Zipf-distributed ranks, so many phrases share a first word or a common
// word, the last one outside the commonest 500, so most phrases are absent
// from any one item. A
// one-word phrase is drawn from the rarer words (rank ≥ 2,000), as nobody
// watches for "the"; hits phrases are two adjacent words of the policy
// sentences, so that some items match.
func VocabPhrases(n, hits int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 16))
	z := rand.NewZipf(r, 1.1, 2, uint64(len(vocabulary)-1))
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for len(out) < hits {
		f := strings.Fields(policy[r.IntN(len(policy))])
		j := r.IntN(len(f) - 1)
		a := strings.Trim(f[j], ".,;:'\"()")
		b := strings.Trim(f[j+1], ".,;:'\"()")
		if len(a) < 3 || len(b) < 3 || strings.ContainsAny(a+b, "-'") {
			continue
		}
		add(strings.ToLower(a + " " + b))
	}
	for len(out) < n {
		k := 1 + r.IntN(4)
		if k == 1 {
			add(vocabulary[2000+r.IntN(len(vocabulary)-2000)])
			continue
		}
		ws := make([]string, k)
		for i := range ws {
			ws[i] = vocabulary[z.Uint64()]
		}
		// The last word is not among the commonest 500, or half the
		// phrases would be "of the"-like bigrams that every item holds.
		rank := z.Uint64()
		for rank < 500 {
			rank = z.Uint64()
		}
		ws[k-1] = vocabulary[rank]
		add(strings.Join(ws, " "))
	}
	return out
}
