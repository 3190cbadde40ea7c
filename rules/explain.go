package rules

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/model"
)

// collectHits gathers the hits of a topic that held into s.hits, for
// salience and then explain.
func (s *state) collectHits(e *Engine, t *ctopic, fields *[numFields]string) {
	s.hits = s.hits[:0]
	s.collect(e, t.root, fields)
}

// explain builds the Match of a topic that held from the hits collectHits
// gathered: its hits, distinct terms first, and snippets around them.
func (s *state) explain(t *ctopic, score float64, fields *[numFields]string) model.Match {
	// Distinct terms first, then more places of the same terms.
	s.selected = s.selected[:0]
	for pass := 0; pass < 2 && len(s.selected) < maxHits; pass++ {
		for _, h := range s.hits {
			if len(s.selected) >= maxHits {
				break
			}
			dup, seenTerm := false, false
			for _, x := range s.selected {
				if x.field == h.field && x.start == h.start && x.end == h.end {
					dup = true
					break
				}
				if x.term == h.term {
					seenTerm = true
				}
			}
			if dup || (pass == 0 && seenTerm) {
				continue
			}
			s.selected = append(s.selected, h)
		}
	}
	slices.SortFunc(s.selected, func(a, b hitCand) int {
		if a.field != b.field {
			return cmp.Compare(a.field, b.field)
		}
		if a.start != b.start {
			return cmp.Compare(a.start, b.start)
		}
		return cmp.Compare(a.end, b.end)
	})
	m := model.Match{
		Topic:      t.ID,
		TopicName:  t.Name,
		Severity:   t.Severity,
		Score:      score,
		Annotation: t.Annotation,
		Hits:       make([]model.Hit, len(s.selected)),
	}
	for i, h := range s.selected {
		m.Hits[i] = model.Hit{
			Term:  h.term,
			Text:  validUTF8(fields[h.field][h.start:h.end]),
			Field: fieldNames[h.field],
			Start: int(h.start),
			End:   int(h.end),
		}
	}
	m.Snippets = snippets(s.selected, fields)
	m.Language = hitLanguage(s.selected)
	return m
}

// hitLanguage is the language whose hits cover the most text, or "" when
// that is English: an English text quoting one French name stays English,
// and "servicios OTT" is Spanish although "OTT" is also a French term.
func hitLanguage(hits []hitCand) string {
	var langs [8]struct {
		lang string
		n    int32
	}
	k := 0
	for _, h := range hits {
		i := 0
		for i < k && langs[i].lang != h.lang {
			i++
		}
		if i == k {
			if k == len(langs) {
				continue
			}
			langs[k].lang, langs[k].n = h.lang, 0
			k++
		}
		langs[i].n += h.end - h.start
	}
	best, bestN := "", int32(0)
	for _, l := range langs[:k] {
		if l.n > bestN {
			best, bestN = l.lang, l.n
		}
	}
	return best
}

// collect gathers the hits of the parts of node n that made it hold.
func (s *state) collect(e *Engine, n int32, fields *[numFields]string) {
	nd := &e.nodes[n]
	if nd.kind == nodeGroup {
		for _, c := range nd.any {
			if m, _ := s.eval(e, c, fields); m {
				s.collect(e, c, fields)
			}
		}
		for _, c := range nd.all {
			s.collect(e, c, fields)
		}
		return
	}
	l := &e.leaves[nd.leaf]
	if l.lang != "" || l.context {
		from := len(s.hits)
		defer func() {
			for i := from; i < len(s.hits); i++ {
				s.hits[i].lang = l.lang
				s.hits[i].context = l.context
			}
		}()
	}
	switch l.kind {
	case nodeTerms:
		for _, t := range l.terms {
			s.collectPhrase(t, l.fields)
		}
	case nodeNear:
		if !s.nearWindow(l) {
			return
		}
		for g := range l.groups {
			oc := &s.occs[s.bestOcc[g]]
			term := ""
			for _, t := range l.groups[g] {
				if s.phGen[t.phrase] == s.gen && s.occBelongs(t.phrase, s.bestOcc[g]) {
					term = t.text
					break
				}
			}
			s.hits = append(s.hits, hitCand{term: term, field: oc.field, start: oc.start, end: oc.end})
		}
	case nodeRegex:
		for f, text := range fields {
			if l.fields&(1<<f) == 0 || text == "" {
				continue
			}
			s.regexHits(l, f, fields)
		}
	}
}

func (s *state) occBelongs(p, o int32) bool {
	for i := s.phHead[p]; i >= 0; i = s.occs[i].next {
		if i == o {
			return true
		}
	}
	return false
}

func (s *state) collectPhrase(t cterm, fields uint8) {
	p := t.phrase
	if s.phGen[p] != s.gen || s.phFields[p]&fields == 0 {
		return
	}
	n := 0
	for o := s.phHead[p]; o >= 0 && n < maxHitsPerTerm; o = s.occs[o].next {
		oc := &s.occs[o]
		if fields&(1<<oc.field) == 0 {
			continue
		}
		s.hits = append(s.hits, hitCand{term: t.text, field: oc.field, start: oc.start, end: oc.end})
		n++
	}
}

type window struct {
	field      uint8
	start, end int
}

// snippets cuts windows of about snippetBytes around the hits (sorted by
// field, title first, then offset), merges overlapping windows and keeps
// the first maxSnippets.
func snippets(hits []hitCand, fields *[numFields]string) []model.Snippet {
	var wins []window
	for _, h := range hits {
		text := fields[h.field]
		margin := max(minSnippetMargin, (snippetBytes-int(h.end-h.start))/2)
		w := window{field: h.field, start: cutStart(text, int(h.start)-margin, int(h.start)), end: cutEnd(text, int(h.end)+margin, int(h.end))}
		if n := len(wins); n > 0 && wins[n-1].field == w.field && w.start <= wins[n-1].end {
			wins[n-1].end = max(wins[n-1].end, w.end)
			continue
		}
		if len(wins) == maxSnippets {
			break
		}
		wins = append(wins, w)
	}
	out := make([]model.Snippet, 0, len(wins))
	type span struct {
		from, to int
		hit      bool
	}
	var spans [2*maxHits + 3]span
	for _, w := range wins {
		text := fields[w.field]
		// The snippet's text is built once; its parts are slices of it.
		buf := make([]byte, 0, w.end-w.start+2*len(ellipsis))
		ns := 0
		prevSpace := false
		add := func(seg string, hit bool) {
			from := len(buf)
			buf, prevSpace = appendTidy(buf, seg, prevSpace)
			if len(buf) > from && ns < len(spans) {
				spans[ns] = span{from, len(buf), hit}
				ns++
			}
		}
		if w.start > 0 {
			buf = append(buf, ellipsis...)
		}
		at := w.start
		for _, h := range hits {
			if h.field != w.field || int(h.start) < at || int(h.end) > w.end {
				continue // outside, or overlapping a hit already marked
			}
			add(text[at:h.start], false)
			add(text[h.start:h.end], true)
			at = int(h.end)
		}
		add(text[at:w.end], false)
		if w.end < len(text) {
			if ns > 0 && !spans[ns-1].hit {
				buf = append(buf, ellipsis...)
				spans[ns-1].to = len(buf)
			} else {
				add(ellipsis, false)
			}
		}
		if ns > 0 && w.start > 0 {
			if spans[0].hit {
				// The leading ellipsis gets a part of its own.
				copy(spans[1:ns+1], spans[:ns])
				ns++
				spans[0] = span{0, len(ellipsis), false}
			} else {
				spans[0].from = 0
			}
		}
		all := string(buf)
		sn := model.Snippet{Field: fieldNames[w.field], Parts: make([]model.SnippetPart, ns)}
		for i, sp := range spans[:ns] {
			sn.Parts[i] = model.SnippetPart{Text: all[sp.from:sp.to], Hit: sp.hit}
		}
		out = append(out, sn)
	}
	return out
}

// cutStart moves a window start forward to the beginning of a word (never
// past limit), or at least to a rune boundary.
func cutStart(text string, from, limit int) int {
	if from <= 0 {
		return 0
	}
	for i := from; i < limit; i++ {
		if isSpaceByte(text[i]) {
			return i + 1
		}
	}
	for from < limit && !utf8.RuneStart(text[from]) {
		from++
	}
	return from
}

// cutEnd moves a window end back to the end of a word (never before limit),
// or at least to a rune boundary.
func cutEnd(text string, to, limit int) int {
	if to >= len(text) {
		return len(text)
	}
	for i := to; i > limit; i-- {
		if isSpaceByte(text[i-1]) {
			return i - 1
		}
	}
	for to > limit && !utf8.RuneStart(text[to]) {
		to--
	}
	return to
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r'
}

// appendTidy appends s with runs of white space folded into one space, as
// a snippet is read on one line, and invalid UTF-8 replaced. prevSpace
// carries whether the text before ended in white space.
func appendTidy(dst []byte, s string, prevSpace bool) ([]byte, bool) {
	run := 0 // start of the pending run of plain ASCII
	for i := 0; i < len(s); {
		c := s[i]
		if c > ' ' && c < utf8.RuneSelf {
			i++
			prevSpace = false
			continue
		}
		if c == ' ' && !prevSpace {
			i++
			prevSpace = true
			continue
		}
		dst = append(dst, s[run:i]...)
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		run = i
		switch {
		case unicode.IsSpace(r):
			if !prevSpace {
				dst = append(dst, ' ')
			}
			prevSpace = true
		case r == utf8.RuneError && size == 1:
			dst = utf8.AppendRune(dst, utf8.RuneError)
			prevSpace = false
		default:
			dst = append(dst, s[i-size:i]...)
			prevSpace = false
		}
	}
	return append(dst, s[run:]...), prevSpace
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
