package rules

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/model"
)

// Corpus entries the fuzzer finds are kept in testdata/fuzz/<Target>/.

func FuzzParsePack(f *testing.F) {
	for _, name := range []string{"testdata/broken.yaml", "packs/itu.yaml"} {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(oneTopic("      phrase: FG-NET2030\n")))
	f.Add([]byte(oneTopic("      near: [[\"ITU\"], \"regulat*\"]\n      within: 2\n")))
	f.Add([]byte("pack: p\nsets:\n  a: &x [b]\n  c: *x\ntopics: []\n"))
	f.Add([]byte("pack: p\ntopics:\n  - {id: a, name: A, severity: low, match: {any: [{all: [{none: [x]}]}]}}\n"))
	f.Add([]byte("pack: " + strings.Repeat("-", 10000) + "\n"))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePack("f.yaml", data)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "f.yaml") {
					t.Fatalf("message without the file name: %q", line)
				}
			}
			return
		}
		e, err := Compile(p)
		if err != nil {
			// Only a set that the built-in pack defines may fail here.
			if !strings.Contains(err.Error(), "unknown set") {
				t.Fatalf("a pack that parsed does not compile: %v", err)
			}
			return
		}
		e.Match(&model.Item{Title: string(data), Content: "ITU New IP regulation FG-NET2030"})
	})
}

func FuzzMatch(f *testing.F) {
	e := mustEngine(f, `pack: fuzz
sets:
  ctx: ["ITU", "ITU-T", "study group", "互联网", "الاتحاد"]
topics:
  - id: phrases
    name: P
    severity: high
    match:
      any:
        - {phrases: ["FG-NET2030", "New IP", "IP addresses", "a b c d e f"], weight: 2}
        - {set: ctx, fields: [title]}
        - "regulat*"
  - id: near
    name: N
    severity: low
    match:
      near: [{set: ctx}, ["protocol", "regulat*"], "2030"]
      within: 5
  - id: regex
    name: R
    severity: medium
    match:
      all:
        - {regex: '\bRes(?:olution|\.)?\s*102\b'}
        - {phrase: "ITU"}
      none: ["intellectual property"]
`)
	f.Add("New IP", "FG-NET2030 at the ITU")
	f.Add(strings.Repeat("x", 3000), "regulation "+strings.Repeat("a", 3000))
	f.Add("\xff\xfe\xfd", "IP\xffaddresses \xc3 ITU\xe2\x80 Res. 102")
	f.Add("\u202eالاتحاد الدولي للاتصالات\u202c", "الاتحاد protocol 2030")
	f.Add("", strings.Repeat("-", 10000))
	f.Add("互联网", "互联网 protocol 2030 互联网")
	f.Add("ITU's", "a b c d e f a b c d e f g ITU-T's regulators")
	f.Add("", "Res. 102, resolution\n102, addresses res 1020 SG13 sg 17 C20/51 c 20 ipv6+ wtdc-22 pp22")
	rx := mustEngine(f, regexPack)
	f.Fuzz(func(t *testing.T, title, content string) {
		checkRegexLeaves(t, rx, content)
		it := &model.Item{Title: title, Summary: content[:len(content)/2], Content: content}
		fields := map[string]string{"title": it.Title, "summary": it.Summary, "content": it.Content}
		ms := e.Match(it)
		for i, m := range ms {
			if i > 0 && (ms[i-1].Severity < m.Severity || ms[i-1].Severity == m.Severity && ms[i-1].Score < m.Score) {
				t.Errorf("matches out of order: %s before %s", ms[i-1].Topic, m.Topic)
			}
			if len(m.Hits) == 0 || len(m.Hits) > maxHits || len(m.Snippets) > maxSnippets {
				t.Errorf("%s: %d hits, %d snippets", m.Topic, len(m.Hits), len(m.Snippets))
			}
			for _, h := range m.Hits {
				text := fields[h.Field]
				if h.Start < 0 || h.End > len(text) || h.Start >= h.End {
					t.Fatalf("%s: hit %+v outside its field of %d bytes", m.Topic, h, len(text))
				}
				if h.Text != validUTF8(text[h.Start:h.End]) {
					t.Errorf("%s: hit text %q is not the field's %q", m.Topic, h.Text, text[h.Start:h.End])
				}
			}
			for _, sn := range m.Snippets {
				marked := false
				for _, p := range sn.Parts {
					if !utf8.ValidString(p.Text) {
						t.Errorf("%s: snippet part %q is not valid UTF-8", m.Topic, p.Text)
					}
					marked = marked || p.Hit
				}
				if !marked {
					t.Errorf("%s: snippet %q marks no hit", m.Topic, sn.Plain("[", "]"))
				}
			}
		}
	})
}

// regexPack holds regexes of the shapes rule packs use, for checking that
// the literal prefilter and the anchored tries find exactly what a plain
// scan of the text finds.
const regexPack = `pack: rx
topics:
  - id: rx
    name: RX
    severity: low
    match:
      any:
        - {regex: '\bres(?:olution|\.)?\s*(?:101|102|133|180)\b'}
        - {regex: '\b(?:PP|WTSA|WTDC)-?\d{2}\b'}
        - {regex: '\bSG\s?\d{1,2}\b'}
        - {regex: 'IPv6\s?\+|IPv6 Enhanced'}
        - {regex: '\bC\d{2}/\d+|\bSG\s?\d{1,2}\b'}
        - {regex: '(?m)^res\b'}
        - {regex: 'res$'}
        - {regex: '\Bres'}
        - {regex: 'x\d+y'}
`

func checkRegexLeaves(t *testing.T, e *Engine, content string) {
	s := newState(e)
	s.begin()
	fields := [numFields]string{"", "", content}
	for i := range e.leaves {
		l := &e.leaves[i]
		if got, want := s.regexMatches(l, fieldContent, &fields), l.re.MatchString(content); got != want {
			t.Errorf("regex %q on %q: prefiltered match %v, plain %v", l.expr, content, got, want)
		}
		s.hits = s.hits[:0]
		s.regexHits(l, fieldContent, &fields)
		var got, want [][2]int
		for _, h := range s.hits {
			got = append(got, [2]int{int(h.start), int(h.end)})
		}
		for _, loc := range l.re.FindAllStringIndex(content, maxHitsPerTerm) {
			want = append(want, [2]int{loc[0], loc[1]})
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("regex %q on %q: prefiltered hits %v, plain %v", l.expr, content, got, want)
		}
	}
}
