package rules

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"

	"github.com/ituwatch/ituwatch/internal/problems"
)

// builder holds what Compile needs only while compiling.
type builder struct {
	e         *Engine
	phraseIDs map[string]int32 // word-id sequence -> phrase id
	trieKids  map[uint64]int32
	nodeOuts  [][]int32 // per trie node
	nNodes    int32
	uses      [][]use // per phrase
	sets      map[string][]string
	setOrigin map[string]string
	errs      problems.List // in the order found, which is the packs' order
}

// Compile turns packs into an Engine. A later pack's topic replaces an
// earlier one with the same id (keeping its place); sets of the same name
// are merged, so a pack can add terms to a built-in set.
func Compile(packs ...*Pack) (*Engine, error) {
	if len(packs) == 0 {
		return nil, errors.New("no rule pack given; use builtin:itu or the path of a pack file")
	}
	e := &Engine{
		byID:  map[string]int{},
		vocab: map[uint64]int32{},
		pfx:   map[uint64]int32{},
		next:  map[uint64]int32{},

		litIDs: map[string]int32{},
	}
	b := &builder{
		e:         e,
		phraseIDs: map[string]int32{},
		trieKids:  map[uint64]int32{},
		nodeOuts:  [][]int32{nil}, // node 0 is the root
		nNodes:    1,
		sets:      map[string][]string{},
		setOrigin: map[string]string{},
	}
	var specs []topicSpec
	pos := map[string]int{}
	for _, p := range packs {
		if p == nil {
			return nil, errors.New("compile rules: nil pack")
		}
		for _, s := range p.sets {
			seen := map[string]bool{}
			for _, t := range b.sets[s.name] {
				seen[t] = true
			}
			for _, t := range s.terms {
				if !seen[t] {
					seen[t] = true
					b.sets[s.name] = append(b.sets[s.name], t)
				}
			}
			b.setOrigin[s.name] = p.Source
		}
		for _, t := range p.topics {
			if i, ok := pos[t.id]; ok {
				specs[i] = t
				continue
			}
			pos[t.id] = len(specs)
			specs = append(specs, t)
		}
	}
	for i, t := range specs {
		ct := ctopic{
			Topic:          Topic{ID: t.id, Name: t.name, Severity: t.severity, Annotation: t.annotation, MinScore: t.minScore},
			sources:        t.sources,
			excludeSources: t.excludeSources,
			proposers:      t.proposers,
		}
		if ct.MinScore == 0 {
			ct.MinScore = 1
		}
		if t.match == nil {
			b.errs.Addf(t.source, t.line, "topic "+t.id, "match is missing")
			continue
		}
		ct.root = b.node(t.match, int32(i), &t)
		e.byID[t.id] = len(e.topics)
		e.topics = append(e.topics, ct)
	}
	if len(b.errs) > 0 {
		return nil, packError{b.errs}
	}
	if b.nNodes >= maxNodes || len(e.vocab)+len(e.pfx) >= maxNodes {
		return nil, fmt.Errorf("compile rules: %d phrases are more than one engine can hold; split the packs", e.nPhrases)
	}
	b.finish()
	for i := range e.topics {
		if e.matchesWithoutPhrases(&e.topics[i]) {
			e.always = append(e.always, int32(i))
		}
	}
	e.pool.New = func() any { return newState(e) }
	return e, nil
}

func (b *builder) node(n *nodeSpec, topic int32, t *topicSpec) int32 {
	e := b.e
	idx := int32(len(e.nodes))
	e.nodes = append(e.nodes, cnode{kind: n.kind})
	if n.kind == nodeGroup {
		kids := func(list []*nodeSpec) []int32 {
			var out []int32
			for _, c := range list {
				out = append(out, b.node(c, topic, t))
			}
			return out
		}
		a, l, no := kids(n.any), kids(n.all), kids(n.none)
		// all: fails at its first failing part, so try the cheap parts
		// before any that runs a regex.
		slices.SortStableFunc(l, func(x, y int32) int {
			return cmp.Compare(b.hasRegex(x), b.hasRegex(y))
		})
		e.nodes[idx].any, e.nodes[idx].all, e.nodes[idx].none = a, l, no
		return idx
	}
	leaf := cleaf{kind: n.kind, weight: n.weight, fields: n.fields, topic: topic, lang: n.lang}
	if leaf.fields == 0 {
		leaf.fields = allFields
	}
	if leaf.weight == 0 {
		leaf.weight = 1
	}
	leafID := int32(len(e.leaves))
	switch n.kind {
	case nodeTerms, nodeSet:
		leaf.kind = nodeTerms
		terms := n.terms
		if n.kind == nodeSet {
			terms = b.setTerms(n.set, n.line, t)
			leaf.context = strings.Contains(n.set, "context")
		}
		leaf.terms = b.terms(terms, leafID, -1)
	case nodeNear:
		leaf.within = int32(n.within)
		for _, g := range n.near {
			terms := g.terms
			if g.set != "" {
				terms = b.setTerms(g.set, n.line, t)
			}
			leaf.groups = append(leaf.groups, b.terms(terms, leafID, int32(len(leaf.groups))))
		}
		e.maxNear = max(e.maxNear, len(leaf.groups))
		leaf.full = 1<<len(leaf.groups) - 1
	case nodeRegex:
		re, err := regexp.Compile("(?i)" + n.regex)
		if err != nil {
			b.errs.Addf(t.source, n.line, "topic "+t.id, "regex %q is not valid: %v", n.regex, err)
		}
		leaf.re, leaf.expr = re, n.regex
		leaf.lits, leaf.prefixed = requiredLiterals(n.regex)
		leaf.maxLen = -1
		if parsed, err := syntax.Parse("(?i)"+n.regex, syntax.Perl); err == nil {
			leaf.maxLen = maxMatchLen(parsed.Simplify())
		}
		if leaf.prefixed {
			leaf.wordStart = wordStartLiterals(n.regex, leaf.lits)
			if leaf.wordStart != nil {
				leaf.litIDs = make([]int32, len(leaf.lits))
				for i, lit := range leaf.lits {
					id, ok := e.litIDs[string(lit)]
					if !ok {
						id = int32(len(e.regexLits))
						e.regexLits = append(e.regexLits, lit)
						e.litIDs[string(lit)] = id
					}
					leaf.litIDs[i] = id
				}
			}
			leaf.anch, err = regexp.Compile(`(?i)^(?:` + n.regex + `)`)
			if err == nil {
				leaf.anchCtx, err = regexp.Compile(`(?i)^(?s:.)(?:` + n.regex + `)`)
			}
			if err != nil {
				leaf.prefixed = false
			}
		}
	}
	e.leaves = append(e.leaves, leaf)
	e.nodes[idx].leaf = leafID
	return idx
}

// hasRegex is 1 if node n or a node below it is a regex, else 0.
func (b *builder) hasRegex(n int32) int {
	nd := &b.e.nodes[n]
	if nd.kind != nodeGroup {
		if b.e.leaves[nd.leaf].kind == nodeRegex {
			return 1
		}
		return 0
	}
	for _, c := range slices.Concat(nd.any, nd.all, nd.none) {
		if b.hasRegex(c) == 1 {
			return 1
		}
	}
	return 0
}

func (b *builder) setTerms(name string, line int, t *topicSpec) []string {
	terms, ok := b.sets[name]
	if !ok {
		hint := "define it under sets:"
		if origin, ok := builtinSets()[name]; ok {
			hint = fmt.Sprintf("it is defined in %s, so load %s before this pack", origin, origin)
		}
		b.errs.Addf(t.source, line, "topic "+t.id, "unknown set %q; %s", name, hint)
	}
	return terms
}

// terms compiles the phrases of one leaf, dropping spellings that tokenise
// the same (a term counts once however it is written).
func (b *builder) terms(list []string, leaf, group int32) []cterm {
	var out []cterm
	for _, s := range list {
		p, ok := b.phrase(s)
		if !ok {
			continue
		}
		if slices.ContainsFunc(out, func(c cterm) bool { return c.phrase == p }) {
			continue
		}
		out = append(out, cterm{phrase: p, text: s})
		if u := b.uses[p]; len(u) == 0 || u[len(u)-1] != (use{leaf, group}) {
			b.uses[p] = append(b.uses[p], use{leaf, group})
		}
	}
	return out
}

// phrase returns the id of a phrase, adding it to the trie if new.
func (b *builder) phrase(s string) (int32, bool) {
	e := b.e
	body, prefix := strings.CutSuffix(strings.TrimSpace(s), "*")
	var t tokenizer
	t.reset(body)
	var words []int32
	var lastBuf []byte
	var lastPfx uint64 // hash of the last word, unfolded, for a prefix term
	var hashes []uint64
	for t.next() {
		if t.long {
			return 0, false
		}
		hashes = append(hashes, t.hash())
		lastBuf = append(lastBuf[:0], t.buf...)
		lastPfx = t.hs[len(t.buf)]
	}
	if len(hashes) == 0 || len(hashes) > maxPhraseTokens {
		return 0, false
	}
	for i, h := range hashes {
		if prefix && i == len(hashes)-1 {
			if len(lastBuf) >= 64 {
				return 0, false
			}
			ph := lastPfx
			id, ok := e.pfx[ph]
			if !ok {
				id = b.newWord()
				e.pfx[ph] = id
			}
			e.pfxLenMask |= 1 << len(lastBuf)
			words = append(words, id)
			continue
		}
		id, ok := e.vocab[h]
		if !ok {
			id = b.newWord()
			e.vocab[h] = id
		}
		words = append(words, id)
	}
	key := make([]byte, 0, 4*len(words))
	for _, w := range words {
		key = binary.LittleEndian.AppendUint32(key, uint32(w))
	}
	if id, ok := b.phraseIDs[string(key)]; ok {
		return id, true
	}
	id := int32(e.nPhrases)
	e.nPhrases++
	b.phraseIDs[string(key)] = id
	b.uses = append(b.uses, nil)
	node := int32(0)
	for _, w := range words {
		k := uint64(node)<<32 | uint64(uint32(w))
		nx, ok := b.trieKids[k]
		if !ok {
			nx = b.nNodes
			b.nNodes++
			b.trieKids[k] = nx
			b.nodeOuts = append(b.nodeOuts, nil)
		}
		node = nx
	}
	b.nodeOuts[node] = append(b.nodeOuts[node], id)
	return id, true
}

func (b *builder) newWord() int32 {
	return int32(len(b.e.vocab) + len(b.e.pfx))
}

// finish lays the trie and the phrase uses out in flat arrays.
func (b *builder) finish() {
	e := b.e
	nWords := len(e.vocab) + len(e.pfx)
	rootNext := make([]int32, nWords)
	for i := range rootNext {
		rootNext[i] = -1
	}
	hasKids := make([]bool, b.nNodes)
	cont := make([]bool, nWords)
	for k, nx := range b.trieKids {
		parent, word := int32(k>>32), int32(uint32(k))
		hasKids[parent] = true
		if parent == 0 {
			rootNext[word] = nx
		} else {
			e.next[k] = nx
			cont[word] = true
		}
	}
	ref := func(n int32) int32 {
		if n < 0 {
			return -1
		}
		if len(b.nodeOuts[n]) > 0 {
			n |= refOuts
		}
		if hasKids[n&refNode] {
			n |= refKids
		}
		return n
	}
	wordRef := func(_ uint64, w int32) int32 {
		if cont[w] {
			w |= wordCont
		}
		return w
	}
	rootRef := func(_ uint64, w int32) int32 { return ref(rootNext[w]) }
	e.vocabT = newTable(e.vocab, rootRef)
	e.pfxT = newTable(e.pfx, rootRef)
	e.nextT = newTable(e.next, func(_ uint64, n int32) int32 { return ref(n) })
	for _, t := range []*table{&e.vocabT, &e.pfxT} {
		for i := range t.slots {
			if sl := &t.slots[i]; sl.val >= 0 {
				sl.val = wordRef(sl.key, sl.val)
			}
		}
	}
	e.outStart = make([]int32, b.nNodes+1)
	for n, outs := range b.nodeOuts {
		e.outStart[n] = int32(len(e.outs))
		e.outs = append(e.outs, outs...)
	}
	e.outStart[b.nNodes] = int32(len(e.outs))
	e.useStart = make([]int32, e.nPhrases+1)
	for p, u := range b.uses {
		e.useStart[p] = int32(len(e.uses))
		e.uses = append(e.uses, u...)
	}
	e.useStart[e.nPhrases] = int32(len(e.uses))

	// About 16 bits per word keeps false positives of the filter near 6%.
	size := max(1<<12, 1<<bits.Len(uint(nWords*16)))
	e.bloom = make([]uint64, size/64)
	e.bloomShift = uint(64 - bits.Len(uint(size-1)))
	for h := range e.vocab {
		e.bloomAdd(h)
	}
	for h := range e.pfx {
		e.bloomAdd(h)
	}
}

// matchesWithoutPhrases reports whether a topic could match an item in which
// no phrase occurs, assuming every regex matches: such topics must be
// evaluated for every item, the others only when one of their phrases
// occurs.
func (e *Engine) matchesWithoutPhrases(t *ctopic) bool {
	var eval func(n int32) (bool, float64)
	eval = func(n int32) (bool, float64) {
		nd := &e.nodes[n]
		if nd.kind != nodeGroup {
			l := &e.leaves[nd.leaf]
			if l.kind == nodeRegex {
				return true, l.weight
			}
			return false, 0
		}
		ok, score := true, 0.0
		if len(nd.any) > 0 {
			anyOK := false
			for _, c := range nd.any {
				if m, s := eval(c); m {
					anyOK = true
					score += s
				}
			}
			ok = anyOK
		}
		for _, c := range nd.all {
			m, s := eval(c)
			ok = ok && m
			score += s
		}
		// none is ignored: a phrase that could turn it false is absent.
		return ok, score
	}
	ok, score := eval(t.root)
	return ok && score >= t.MinScore
}
