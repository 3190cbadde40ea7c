package rules

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math/bits"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/model"
)

const (
	maxHits          = 12
	maxSnippets      = 3
	snippetBytes     = 200
	maxOccPerPhrase  = 1 << 14 // enough for near in any real document
	maxHitsPerTerm   = maxHits
	ellipsis         = "…"
	minSnippetMargin = 40
)

// occ is one occurrence of a phrase.
type occ struct {
	field    uint8
	tokStart int32
	tokEnd   int32
	start    int32
	end      int32
	next     int32 // next occurrence of the same phrase, -1 at the end
}

type nearOcc struct {
	field      uint8
	start, end int32
	group      int32
	occ        int32
}

type hitCand struct {
	term       string
	field      uint8
	start, end int32
}

// state is the scratch of one Match call, reused through the engine's pool
// so that an item without matches costs no allocation. Per-phrase, per-leaf
// and per-topic arrays are stamped with a generation instead of cleared.
type state struct {
	e   *Engine
	gen uint32
	tz  tokenizer

	live  []partial // partial phrases the last token extended
	live2 []partial // spare for the next token's
	occs  []occ

	phGen     []uint32
	phHead    []int32
	phTail    []int32
	phFields  []uint8
	phCount   []int32
	touched   []int32
	leafGen   []uint32
	leafCount []int32
	leafMask  []uint64 // near leaves: the groups that occur
	reGen     []uint32
	reHit     []bool
	// Per (regex literal, field): where the literal starts a word, found
	// on first use in an item: litPos[litOff[k]:litEnd[k]].
	litGen   []uint32
	litOff   []int32
	litEnd   []int32
	litPos   []int32
	topicGen []uint32
	cands    []int32

	// ASCII-lowered copies of the fields for the regex prefilter, made on
	// first use; lowerOK is false when a field holds a non-ASCII letter
	// that folds to an ASCII one (the Kelvin sign, the long s).
	lowerGen uint32
	lower    [numFields][]byte
	lowerOK  bool

	near     []nearOcc
	bestEnd  []int32
	bestOcc  []int32
	hits     []hitCand
	selected []hitCand
	starts   []int32
}

func newState(e *Engine) *state {
	return &state{
		e:         e,
		phGen:     make([]uint32, e.nPhrases),
		phHead:    make([]int32, e.nPhrases),
		phTail:    make([]int32, e.nPhrases),
		phFields:  make([]uint8, e.nPhrases),
		phCount:   make([]int32, e.nPhrases),
		leafGen:   make([]uint32, len(e.leaves)),
		leafCount: make([]int32, len(e.leaves)),
		leafMask:  make([]uint64, len(e.leaves)),
		reGen:     make([]uint32, len(e.leaves)),
		reHit:     make([]bool, len(e.leaves)),
		litGen:    make([]uint32, len(e.regexLits)*numFields),
		litOff:    make([]int32, len(e.regexLits)*numFields),
		litEnd:    make([]int32, len(e.regexLits)*numFields),
		topicGen:  make([]uint32, len(e.topics)),
		bestEnd:   make([]int32, e.maxNear),
		bestOcc:   make([]int32, e.maxNear),
	}
}

func (s *state) begin() {
	s.gen++
	if s.gen == 0 { // wrapped: stale stamps could look current
		clear(s.phGen)
		clear(s.leafGen)
		clear(s.reGen)
		clear(s.litGen)
		clear(s.topicGen)
		s.gen = 1
	}
	s.occs = s.occs[:0]
	s.touched = s.touched[:0]
	s.cands = s.cands[:0]
	s.litPos = s.litPos[:0]
}

// Match returns the topics the item is about, most severe first, then by
// score, each with the hits and snippets that explain it.
func (e *Engine) Match(it *model.Item) []model.Match {
	s := e.pool.Get().(*state)
	defer e.pool.Put(s)
	s.begin()
	fields := [numFields]string{it.Title, it.Summary, it.Content}
	for f, text := range fields {
		s.scan(e, uint8(f), text)
	}
	// Credit each phrase found to the leaves that use it, in the fields
	// they look at; a leaf counts each of its phrases once.
	for _, p := range s.touched {
		for _, u := range e.uses[e.useStart[p]:e.useStart[p+1]] {
			l := u.leaf
			leaf := &e.leaves[l]
			if leaf.fields&s.phFields[p] == 0 {
				continue
			}
			if s.leafGen[l] != s.gen {
				s.leafGen[l] = s.gen
				s.leafCount[l] = 0
				s.leafMask[l] = 0
			}
			if u.group >= 0 {
				// A near leaf is worth evaluating once every group occurs.
				s.leafMask[l] |= 1 << u.group
				if s.leafMask[l] != leaf.full {
					continue
				}
			} else {
				s.leafCount[l]++
			}
			if s.topicGen[leaf.topic] != s.gen {
				s.topicGen[leaf.topic] = s.gen
				s.cands = append(s.cands, leaf.topic)
			}
		}
	}
	for _, t := range e.always {
		if s.topicGen[t] != s.gen {
			s.topicGen[t] = s.gen
			s.cands = append(s.cands, t)
		}
	}
	if len(s.cands) == 0 {
		return nil
	}
	slices.Sort(s.cands)
	var out []model.Match
	for _, ti := range s.cands {
		t := &e.topics[ti]
		if !sourceAllowed(t, it.SourceID) {
			continue
		}
		ok, score := s.eval(e, t.root, &fields)
		if !ok || score < t.MinScore {
			continue
		}
		out = append(out, s.explain(e, t, score, &fields))
	}
	slices.SortStableFunc(out, func(a, b model.Match) int {
		if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
			return c
		}
		return cmp.Compare(b.Score, a.Score)
	})
	return out
}

// sourceAllowed applies a topic's source globs. Items that name no source
// (typed-in text, a labelled corpus) are not filtered.
func sourceAllowed(t *ctopic, src string) bool {
	if src == "" {
		return true
	}
	if len(t.sources) > 0 {
		ok := false
		for _, g := range t.sources {
			if m, _ := path.Match(g, src); m {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, g := range t.excludeSources {
		if m, _ := path.Match(g, src); m {
			return false
		}
	}
	return true
}

// scan tokenises one field and records every phrase occurrence in it. The
// trie is walked incrementally: s.live holds the partial phrases that the
// previous token extended, and each token either extends them or ends them,
// so a word costs one look-up of its own plus one per live partial phrase
// it can continue (most words continue none).
func (s *state) scan(e *Engine, field uint8, text string) {
	if len(text) == 0 {
		return
	}
	if len(text) > 1<<31-1 {
		text = text[:1<<31-1]
	}
	tz := &s.tz
	tz.reset(text)
	pos := int32(-1)
	mask := e.pfxLenMask
	live, next := s.live[:0], s.live2[:0]
	// The readings of a token: its word and the prefix terms it has, at
	// most one per length.
	var readings [maxTokenBytes + 1]wordRef
	for tz.scan() {
		if tz.end-tz.start == 1 && tz.possessive() {
			continue
		}
		pos++
		ids := readings[:0]
		if !tz.long {
			h := tz.h
			// The tokenizer hashed most words already; plurals fold.
			if n := len(tz.buf); !tz.hashed || tz.kind == kindLetter && n >= 3 && tz.buf[n-1] == 's' {
				h = tz.hash()
			}
			if e.bloomHas(h) {
				if sl := e.vocabT.get(h); sl != nil {
					ids = append(ids, wordRef{sl.val, sl.aux})
				}
			}
		}
		// Prefix terms: test the hash of each prefix of the word whose
		// length some prefix term has.
		for m := mask & (2<<len(tz.buf) - 2); m != 0; m &= m - 1 {
			h := tz.prefixHash(bits.TrailingZeros64(m))
			if e.bloomHas(h) {
				if sl := e.pfxT.get(h); sl != nil {
					ids = append(ids, wordRef{sl.val, sl.aux})
				}
			}
		}
		if len(ids) == 0 {
			live = live[:0]
			continue
		}
		start, end := int32(tz.start), int32(tz.end)
		// Extend the live partial phrases with this token, then start new
		// ones at it.
		next = next[:0]
		for _, w := range ids {
			if w.id&wordCont == 0 {
				continue // most words continue no phrase
			}
			for _, p := range live {
				sl := e.nextT.get(uint64(p.node)<<32 | uint64(w.id&^wordCont))
				if sl == nil {
					continue
				}
				next = s.enter(e, next, sl.aux, field, p.pos, pos, p.start, end)
			}
		}
		for _, w := range ids {
			// enter, written out for the common case of a word that
			// starts longer phrases only.
			if w.root < 0 {
				continue
			}
			if w.root&refOuts != 0 {
				s.recordNode(e, w.root&refNode, field, pos, pos, start, end)
			}
			if w.root&refKids != 0 {
				next = append(next, partial{node: w.root & refNode, pos: pos, start: start})
			}
		}
		live, next = next, live
	}
	s.live, s.live2 = live, next
}

// wordRef is one reading of a token: a word id (with wordCont) and the
// reference of the trie node it leads to from the root (-1 if none).
type wordRef struct {
	id   int32
	root int32
}

// partial is a phrase begun but not finished: the trie node reached by the
// tokens from the one at pos (starting at byte start) up to the last one.
type partial struct {
	node  int32
	pos   int32
	start int32
}

// enter reaches the node of ref with the tokens first..last (bytes
// start..end): it records the phrases ending there and adds to live the
// partial phrase if the node has children.
func (s *state) enter(e *Engine, live []partial, ref int32, field uint8, first, last, start, end int32) []partial {
	n := ref & refNode
	if ref&refOuts != 0 {
		s.recordNode(e, n, field, first, last, start, end)
	}
	if ref&refKids != 0 {
		live = append(live, partial{node: n, pos: first, start: start})
	}
	return live
}

// recordNode records the phrases that end at trie node n.
func (s *state) recordNode(e *Engine, n int32, field uint8, first, last, start, end int32) {
	for _, ph := range e.outs[e.outStart[n]:e.outStart[n+1]] {
		s.record(ph, field, first, last+1, start, end)
	}
}

func (s *state) record(p int32, field uint8, tokStart, tokEnd, start, end int32) {
	if s.phGen[p] != s.gen {
		s.phGen[p] = s.gen
		s.phHead[p] = -1
		s.phTail[p] = -1
		s.phFields[p] = 0
		s.phCount[p] = 0
		s.touched = append(s.touched, p)
	}
	if s.phCount[p] >= maxOccPerPhrase {
		return
	}
	s.phCount[p]++
	s.phFields[p] |= 1 << field
	i := int32(len(s.occs))
	s.occs = append(s.occs, occ{field: field, tokStart: tokStart, tokEnd: tokEnd, start: start, end: end, next: -1})
	if s.phTail[p] >= 0 {
		s.occs[s.phTail[p]].next = i
	} else {
		s.phHead[p] = i
	}
	s.phTail[p] = i
}

// eval says whether node n holds for the item and with what score.
func (s *state) eval(e *Engine, n int32, fields *[numFields]string) (bool, float64) {
	nd := &e.nodes[n]
	if nd.kind != nodeGroup {
		l := &e.leaves[nd.leaf]
		switch l.kind {
		case nodeTerms:
			if s.leafGen[nd.leaf] != s.gen || s.leafCount[nd.leaf] == 0 {
				return false, 0
			}
			return true, l.weight * float64(s.leafCount[nd.leaf])
		case nodeNear:
			if s.leafGen[nd.leaf] != s.gen || s.leafMask[nd.leaf] != l.full {
				return false, 0
			}
			if s.nearWindow(l) {
				return true, l.weight
			}
			return false, 0
		case nodeRegex:
			if s.reGen[nd.leaf] != s.gen {
				s.reGen[nd.leaf] = s.gen
				s.reHit[nd.leaf] = false
				for f, text := range fields {
					if l.fields&(1<<f) == 0 || text == "" {
						continue
					}
					if s.regexMatches(l, f, fields) {
						s.reHit[nd.leaf] = true
						break
					}
				}
			}
			if s.reHit[nd.leaf] {
				return true, l.weight
			}
			return false, 0
		}
		return false, 0
	}
	ok, score := true, 0.0
	if len(nd.any) > 0 {
		anyOK := false
		for _, c := range nd.any {
			if m, sc := s.eval(e, c, fields); m {
				anyOK = true
				score += sc
			}
		}
		ok = anyOK
	}
	if ok {
		for _, c := range nd.all {
			m, sc := s.eval(e, c, fields)
			if !m {
				ok = false
				break
			}
			score += sc
		}
	}
	if ok {
		for _, c := range nd.none {
			if m, _ := s.eval(e, c, fields); m {
				ok = false
				break
			}
		}
	}
	return ok, score
}

// regexMatches runs a regex leaf on field f, skipping text that lacks the
// literals every match needs, and trying prefixed regexes only where such a
// literal occurs: Go's regexp has no fast path for case-insensitive
// patterns, and scanning a whole field costs far more than the rest of Match.
func (s *state) regexMatches(l *cleaf, f int, fields *[numFields]string) bool {
	text := fields[f]
	if l.lits == nil {
		return l.re.MatchString(text)
	}
	s.lowerFields(fields)
	if !s.lowerOK {
		return l.re.MatchString(text)
	}
	lower := s.lower[f]
	tries := 0
	for li, lit := range l.lits {
		if l.litIDs != nil && l.wordStart[li] {
			for _, p := range s.wordStarts(l.litIDs[li], f) {
				if tries++; tries > maxRegexTries {
					return l.re.MatchString(text)
				}
				sub, _, ctx := l.window(text, int(p))
				if ctx && l.anchCtx.MatchString(sub) || !ctx && l.anch.MatchString(sub) {
					return true
				}
			}
			continue
		}
		for at := 0; ; {
			i := bytes.Index(lower[at:], lit)
			if i < 0 {
				break
			}
			if !l.prefixed {
				return l.re.MatchString(text)
			}
			p := at + i
			at = p + 1
			if l.midWord(li, lower, p) {
				continue
			}
			if tries++; tries > maxRegexTries {
				return l.re.MatchString(text) // a common literal: one scan is cheaper
			}
			sub, _, ctx := l.window(text, p)
			if ctx && l.anchCtx.MatchString(sub) || !ctx && l.anch.MatchString(sub) {
				return true
			}
		}
	}
	return false
}

// midWord reports that literal li of a regex, found at p, cannot start a
// match there: it must start a word and a word character comes before it.
func (l *cleaf) midWord(li int, lower []byte, p int) bool {
	return l.wordStart != nil && l.wordStart[li] && p > 0 && isWordByte(lower[p-1])
}

// wordStarts returns where regex literal id starts a word in field f, in
// order, stopping after maxRegexTries+1 (enough for regexMatches to give up
// trying and scan the whole field).
func (s *state) wordStarts(id int32, f int) []int32 {
	k := int(id)*numFields + f
	if s.litGen[k] != s.gen {
		s.litGen[k] = s.gen
		lit, lower := s.e.regexLits[id], s.lower[f]
		off := len(s.litPos)
		for at := 0; len(s.litPos)-off <= maxRegexTries; {
			i := bytes.Index(lower[at:], lit)
			if i < 0 {
				break
			}
			p := at + i
			if p == 0 || !isWordByte(lower[p-1]) {
				s.litPos = append(s.litPos, int32(p))
			}
			at = p + 1
		}
		s.litOff[k], s.litEnd[k] = int32(off), int32(len(s.litPos))
	}
	return s.litPos[s.litOff[k]:s.litEnd[k]]
}

// maxRegexTries bounds the anchored tries of a regex in one field; each
// costs a small fraction of a scan of the whole field.
const maxRegexTries = 64

// window is the text to try a prefixed regex at p on: from the rune before
// p (ctx) so that \b and (?m)^ see their true context, up to one whole rune
// past the longest possible match so that \b, \B and $ see theirs.
func (l *cleaf) window(text string, p int) (sub string, from int, ctx bool) {
	end := len(text)
	if l.maxLen >= 0 && p+l.maxLen+utf8.UTFMax < end {
		end = p + l.maxLen + utf8.UTFMax
	}
	if p == 0 {
		return text[:end], 0, false
	}
	q := p - 1
	for q > 0 && p-q < utf8.UTFMax && !utf8.RuneStart(text[q]) {
		q--
	}
	if _, size := utf8.DecodeRuneInString(text[q:]); q+size != p {
		q = p - 1
	}
	return text[q:end], q, true
}

// regexHits finds up to maxHitsPerTerm non-overlapping matches of a regex
// leaf in field f, the same way regexMatches looks for one.
func (s *state) regexHits(l *cleaf, f int, fields *[numFields]string) {
	text := fields[f]
	if l.lits != nil && l.prefixed {
		s.lowerFields(fields)
	}
	if l.lits == nil || !l.prefixed || !s.lowerOK {
		for _, loc := range l.re.FindAllStringIndex(text, maxHitsPerTerm) {
			s.addRegexHit(l, f, loc[0], loc[1])
		}
		return
	}
	lower := s.lower[f]
	s.starts = s.starts[:0]
	for li, lit := range l.lits {
		for at := 0; len(s.starts) <= maxRegexTries; {
			i := bytes.Index(lower[at:], lit)
			if i < 0 {
				break
			}
			if !l.midWord(li, lower, at+i) {
				s.starts = append(s.starts, int32(at+i))
			}
			at += i + 1
		}
	}
	if len(s.starts) > maxRegexTries {
		for _, loc := range l.re.FindAllStringIndex(text, maxHitsPerTerm) {
			s.addRegexHit(l, f, loc[0], loc[1])
		}
		return
	}
	slices.Sort(s.starts)
	lastEnd, n := 0, 0
	for _, p32 := range s.starts {
		p := int(p32)
		if p < lastEnd || n >= maxHitsPerTerm {
			continue
		}
		sub, from, ctx := l.window(text, p)
		re := l.anch
		if ctx {
			re = l.anchCtx
		}
		loc := re.FindStringIndex(sub)
		if loc == nil {
			continue
		}
		end := from + loc[1]
		if end > p {
			s.addRegexHit(l, f, p, end)
			lastEnd, n = end, n+1
		}
	}
}

func (s *state) addRegexHit(l *cleaf, f, start, end int) {
	if end > start && end <= 1<<31-1 {
		s.hits = append(s.hits, hitCand{term: l.expr, field: uint8(f), start: int32(start), end: int32(end)})
	}
}

// lowerFields makes the ASCII-lowered copies of the fields once per item.
func (s *state) lowerFields(fields *[numFields]string) {
	if s.lowerGen == s.gen {
		return
	}
	s.lowerGen = s.gen
	s.lowerOK = true
	for i, text := range fields {
		b := slices.Grow(s.lower[i][:0], len(text))[:len(text)]
		var high uint64
		j := 0
		// Eight bytes at a time: add 0x20 to the bytes that are A to Z.
		for ; j+8 <= len(text); j += 8 {
			t := text[j : j+8]
			v := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
				uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
			high |= v
			x := v & swarLow7
			upper := (x + (0x80-'A')*swarOnes) &^ (x + (0x80-'Z'-1)*swarOnes) &^ v & swarHigh
			binary.LittleEndian.PutUint64(b[j:], v+upper>>2)
		}
		for ; j < len(text); j++ {
			c := text[j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			high |= uint64(c)
			b[j] = c
		}
		s.lower[i] = b
		if high&swarHigh != 0 && (strings.Contains(text, "\u212a") || strings.Contains(text, "\u017f")) {
			s.lowerOK = false
		}
	}
}

// nearWindow looks for one occurrence of every group of a near leaf, all in
// one field, with at most within words between the end of the earliest-ending
// and the start of the latest-starting. The sweep visits occurrences by start
// and keeps, per group, the furthest-reaching one seen so far: whenever every
// group has one, that is the tightest window ending at the current start.
// The occurrences of the window found are left in s.bestOcc.
func (s *state) nearWindow(l *cleaf) bool {
	s.near = s.near[:0]
	for g, terms := range l.groups {
		for _, t := range terms {
			p := t.phrase
			if s.phGen[p] != s.gen || s.phFields[p]&l.fields == 0 {
				continue
			}
			for o := s.phHead[p]; o >= 0; o = s.occs[o].next {
				oc := &s.occs[o]
				if l.fields&(1<<oc.field) == 0 {
					continue
				}
				s.near = append(s.near, nearOcc{field: oc.field, start: oc.tokStart, end: oc.tokEnd, group: int32(g), occ: o})
			}
		}
	}
	slices.SortFunc(s.near, func(a, b nearOcc) int {
		if a.field != b.field {
			return cmp.Compare(a.field, b.field)
		}
		return cmp.Compare(a.start, b.start)
	})
	groups := len(l.groups)
	field := uint8(255)
	for _, o := range s.near {
		if o.field != field {
			field = o.field
			for g := range groups {
				s.bestEnd[g] = -1
			}
		}
		if o.end > s.bestEnd[o.group] {
			s.bestEnd[o.group] = o.end
			s.bestOcc[o.group] = o.occ
		}
		minEnd := int32(1<<31 - 1)
		for g := range groups {
			minEnd = min(minEnd, s.bestEnd[g])
		}
		if minEnd < 0 {
			continue
		}
		if o.start-minEnd <= l.within {
			return true
		}
	}
	return false
}

// explain builds the Match of a topic that held: its hits, distinct terms
// first, and snippets around them.
func (s *state) explain(e *Engine, t *ctopic, score float64, fields *[numFields]string) model.Match {
	s.hits = s.hits[:0]
	s.collect(e, t.root, fields)
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
	return m
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
