package rules

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ituwatch/ituwatch/model"
)

// benchText is about 2 KB of the kind of policy news the bot reads.
const benchText = `Geneva — Delegations at the ITU Council Working Group on international
Internet-related public policy issues spent a second day on the open
consultation about the future of the domain name system. Several member
states argued that the Union should play a larger role in the management of
Internet resources, including IP addresses and country-code top-level
domains, and pointed to Resolution 102 (Rev. Bucharest, 2022) as the basis
for that work. Other administrations, supported by sector members and the
Regional Internet Registries, replied that the multistakeholder bodies that
coordinate names and numbers are working well and that duplicating their
functions inside a treaty organisation would add cost without adding
legitimacy.

A contribution from one delegation proposed that ITU-T Study Group 13 start a
work item on "future network architectures" that would revisit the
addressing model of the Internet protocol. Observers noted the similarity to
the New IP proposal discussed in the FG-NET2030 focus group in 2019 and
2020, which the IETF and most operators rejected. The chair asked for the
text to be revised before the next TSAG meeting and reminded participants
that Recommendations remain voluntary.

Civil-society observers, who may attend only as guests of member states,
said that the consultation had again taken place with little notice and
that written inputs were published after the deadline for comments. They
asked the secretariat to publish all contributions, including the revisions
of C24/51, in every official language at least four weeks ahead of the
meeting. The secretariat said it would look at the timetable for the
Plenipotentiary Conference in Doha, where the resolutions on Internet
matters, cybersecurity and over-the-top services are expected to be
revisited, and where the election of the next Secretary-General will take
place. A side event on artificial intelligence governance and data
localisation rules drew a full room, while a session on spectrum for
satellite broadband was postponed to the afternoon.`

func BenchmarkMatch(b *testing.B) {
	item := &model.Item{SourceID: "itu-news", Title: "Council group debates the ITU's Internet role", Content: benchText}
	size := int64(len(item.Title) + len(item.Content))
	run := func(b *testing.B, e *Engine) {
		b.SetBytes(size)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			e.Match(item)
		}
	}
	b.Run("builtin", func(b *testing.B) {
		p, err := LoadPack("builtin:itu")
		if err != nil {
			b.Fatal(err)
		}
		e, err := Compile(p)
		if err != nil {
			b.Fatal(err)
		}
		run(b, e)
	})
	b.Run("phrases5000", func(b *testing.B) {
		run(b, mustEngine(b, generatedPack(5000, 50)))
	})
}

// generatedPack writes a pack of n phrases over the given number of topics.
// Phrases are mostly invented words; a third start with a word of the text
// and then leave it, and ten occur in it (in five topics), as in a real
// pack where most phrases are absent from any one item.
func generatedPack(n, topics int) string {
	r := rand.New(rand.NewPCG(1, 2))
	textWords := strings.Fields(strings.NewReplacer(",", "", ".", "", "(", "", ")", "", "\"", "").Replace(strings.ReplaceAll(benchText, "—", "")))
	invented := func() string {
		const letters = "abcdefghijklmnopqrstuvwxyz"
		var sb strings.Builder
		for range 4 + r.IntN(6) {
			sb.WriteByte(letters[r.IntN(len(letters))])
		}
		return sb.String()
	}
	var b strings.Builder
	b.WriteString("pack: generated\ntopics:\n")
	per := n / topics
	for t := range topics {
		fmt.Fprintf(&b, "  - id: topic-%d\n    name: Topic %d\n    severity: medium\n    match:\n      any:\n", t, t)
		for i := range per {
			words := make([]string, 1+r.IntN(3))
			for i := range words {
				words[i] = invented()
			}
			switch {
			case t < 5 && i < 2:
				// A phrase that occurs: two adjacent words of the text.
				j := r.IntN(len(textWords) - 1)
				words = textWords[j : j+2]
			case r.IntN(3) == 0:
				// Starts like the text, then leaves it: the trie is
				// entered and abandoned.
				words = append([]string{textWords[r.IntN(len(textWords))]}, words...)
			}
			phrase := strings.Join(words, " ")
			switch r.IntN(50) {
			case 0:
				phrase += "*"
			case 1:
				fmt.Fprintf(&b, "        - near: [%q, %q]\n", phrase, invented())
				continue
			}
			fmt.Fprintf(&b, "        - %q\n", phrase)
		}
	}
	return b.String()
}

// The parts of Match, to see where time goes.

func BenchmarkTokenize(b *testing.B) {
	b.SetBytes(int64(len(benchText)))
	var t tokenizer
	for b.Loop() {
		t.reset(benchText)
		for t.next() {
		}
	}
}

func BenchmarkScanOnly(b *testing.B) {
	e := mustEngine(b, generatedPack(5000, 50))
	s := newState(e)
	b.SetBytes(int64(len(benchText)))
	for b.Loop() {
		s.begin()
		s.scan(e, 2, benchText)
	}
}
