package rules

import (
	"cmp"
	"path"
	"slices"

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
	lang       string // of the leaf that found it
	context    bool   // found by a context set (see cleaf.context)
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
		if !sourceAllowed(t, it.SourceID) || !proposerAllowed(t, it) {
			continue
		}
		ok, score := s.eval(e, t.root, &fields)
		if !ok || score < t.MinScore {
			continue
		}
		// Salience first: a passing mention is dropped before its hits
		// and snippets are built, so items with only those allocate nothing.
		s.collectHits(e, t, &fields)
		factor, why := s.salience(&fields)
		if factor < 1 && score*factor < t.MinScore {
			continue
		}
		m := s.explain(t, score, &fields)
		m.Score, m.Salience = score*factor, why
		out = append(out, m)
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
