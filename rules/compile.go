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
	"sync"
	"unicode/utf8"

	"github.com/ituwatch/ituwatch/internal/problems"
	"github.com/ituwatch/ituwatch/model"
)

// Topic is what a rule pack says about one topic, without its rules.
type Topic struct {
	ID         string
	Name       string
	Severity   model.Severity
	Annotation string
	MinScore   float64
}

// Engine matches items against the topics of compiled packs. It is immutable
// after Compile, so Match may be called from many goroutines.
type Engine struct {
	topics []ctopic
	byID   map[string]int

	// Every phrase of every topic shares one vocabulary and one trie over
	// word ids, so matching costs one pass over the text whatever the
	// number of phrases.
	vocab      map[uint64]int32 // folded token hash -> word id
	pfx        map[uint64]int32 // hash of a prefix term's bytes -> word id
	pfxLenMask uint64           // bit n: some prefix term is n bytes long
	bloom      []uint64         // quick "surely not a phrase word" test
	bloomShift uint
	vocabT     table            // folded token hash -> word ref, root ref
	pfxT       table            // as vocabT for prefix terms
	next       map[uint64]int32 // node<<32 | word -> trie node
	nextT      table            // node<<32 | word -> node ref
	outStart   []int32          // per trie node: phrases ending there are outs[outStart[n]:outStart[n+1]]
	outs       []int32
	nPhrases   int
	useStart   []int32 // per phrase: the leaves using it are uses[useStart[p]:useStart[p+1]]
	uses       []use

	nodes  []cnode
	leaves []cleaf
	always []int32 // topics that can match without any phrase (regex only)
	// regexLits are the distinct literals that must start a word where a
	// regex leaf can match (cleaf.litIDs), so that each is looked for once
	// per item however many leaves need it.
	regexLits [][]byte
	litIDs    map[string]int32
	maxNear   int

	pool sync.Pool
}

type ctopic struct {
	Topic
	sources        []string
	excludeSources []string
	root           int32
}

type cnode struct {
	kind           nodeKind
	leaf           int32 // for leaves
	any, all, none []int32
}

type cleaf struct {
	kind   nodeKind // nodeTerms (also sets), nodeNear or nodeRegex
	weight float64
	fields uint8
	topic  int32
	terms  []cterm   // distinct phrases
	groups [][]cterm // near
	within int32
	re     *regexp.Regexp
	expr   string
	full   uint64   // near: the mask of all groups
	lits   [][]byte // a match contains one of these (lowercase); nil if unknown
	// When every match starts with one of lits (after \b or ^), the regex
	// is tried only where they occur: anch at the start of the text, anchCtx
	// from the rune before, so that \b and (?m)^ see the same context.
	prefixed bool
	// wordStart[i]: lits[i] can only start a match at the start of a word
	// (nil: none is known to).
	wordStart []bool
	litIDs    []int32 // with wordStart: the ids of lits in Engine.regexLits
	anch      *regexp.Regexp
	anchCtx   *regexp.Regexp
	maxLen    int // bytes a match can span, -1 if unbounded
}

// use says that a leaf uses a phrase; group is the near group, or -1.
type use struct {
	leaf  int32
	group int32
}

type cterm struct {
	phrase int32
	text   string // as the rule wrote it
}

// Topics lists the topics in pack order.
func (e *Engine) Topics() []Topic {
	out := make([]Topic, len(e.topics))
	for i, t := range e.topics {
		out[i] = t.Topic
	}
	return out
}

// Topic returns the topic with the given id.
func (e *Engine) Topic(id string) (Topic, bool) {
	i, ok := e.byID[id]
	if !ok {
		return Topic{}, false
	}
	return e.topics[i].Topic, true
}

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
	leaf := cleaf{kind: n.kind, weight: n.weight, fields: n.fields, topic: topic}
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

// requiredLiterals finds strings one of which every match of a regex must
// contain, so that Match can skip running it on text that has none of them.
// Matching is case-insensitive, so they are compared with the ASCII-lowered
// text; a regex needing non-ASCII text gets no such filter.
func requiredLiterals(expr string) (lits [][]byte, prefixed bool) {
	re, err := syntax.Parse("(?i)"+expr, syntax.Perl)
	if err != nil {
		return nil, false
	}
	re = re.Simplify()
	set, ok := prefixLiterals(re)
	prefixed = ok
	if !ok {
		set, ok = required(re)
	}
	if !ok || len(set) == 0 || len(set) > 16 {
		return nil, false
	}
	out := make([][]byte, len(set))
	for i, l := range set {
		if l == "" {
			return nil, false
		}
		for _, r := range l {
			if r >= utf8.RuneSelf {
				return nil, false
			}
		}
		out[i] = []byte(l)
	}
	return out, prefixed
}

// maxMatchLen bounds the bytes a match can span, or is -1.
func maxMatchLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0
	case syntax.OpLiteral:
		return len(re.Rune) * utf8.UTFMax
	case syntax.OpCharClass, syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		return utf8.UTFMax
	case syntax.OpCapture:
		return maxMatchLen(re.Sub[0])
	case syntax.OpQuest:
		return maxMatchLen(re.Sub[0])
	case syntax.OpRepeat:
		n := maxMatchLen(re.Sub[0])
		if re.Max < 0 || n < 0 {
			return -1
		}
		return min(n*re.Max, 1<<20)
	case syntax.OpConcat, syntax.OpAlternate:
		total := 0
		for _, sub := range re.Sub {
			n := maxMatchLen(sub)
			if n < 0 {
				return -1
			}
			if re.Op == syntax.OpConcat {
				total += n
			} else {
				total = max(total, n)
			}
		}
		return min(total, 1<<20)
	}
	return -1
}

// prefixLiterals finds strings one of which every match starts with.
func prefixLiterals(re *syntax.Regexp) ([]string, bool) {
	lits, _, ok := prefixLits(re, false)
	return lits, ok
}

// prefixLits is prefixLiterals that also says, per literal, whether a \b
// comes right before it (afterB: one came before re).
func prefixLits(re *syntax.Regexp, afterB bool) ([]string, []bool, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(re.Rune))}, []bool{afterB}, true
	case syntax.OpCapture, syntax.OpPlus:
		return prefixLits(re.Sub[0], afterB)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return prefixLits(re.Sub[0], afterB)
		}
	case syntax.OpAlternate:
		var out []string
		var wb []bool
		for _, sub := range re.Sub {
			s, b, ok := prefixLits(sub, afterB)
			if !ok {
				return nil, nil, false
			}
			out = append(out, s...)
			wb = append(wb, b...)
		}
		return out, wb, true
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			switch sub.Op {
			case syntax.OpWordBoundary:
				afterB = true
				continue
			case syntax.OpBeginLine, syntax.OpBeginText, syntax.OpNoWordBoundary, syntax.OpEmptyMatch:
				continue // zero-width: the match still starts at the literal
			}
			return prefixLits(sub, afterB)
		}
	}
	return nil, nil, false
}

// wordStartLiterals says which of a prefixed regex's literals (as
// requiredLiterals returned them) must start a word: a \b before a word
// character fails unless the byte before is not one, so Match need not try
// the regex where such a literal occurs inside a word ("pp" in "approved").
func wordStartLiterals(expr string, lits [][]byte) []bool {
	re, err := syntax.Parse("(?i)"+expr, syntax.Perl)
	if err != nil {
		return nil
	}
	set, wb, ok := prefixLits(re.Simplify(), false)
	if !ok || len(set) != len(lits) {
		return nil
	}
	out := make([]bool, len(lits))
	some := false
	for i := range lits {
		if set[i] != string(lits[i]) || len(lits[i]) == 0 {
			return nil
		}
		out[i] = wb[i] && isWordByte(lits[i][0])
		some = some || out[i]
	}
	if !some {
		return nil
	}
	return out
}

// isWordByte is an ASCII word character, as \b in Go's regexp sees them.
func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func required(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{strings.ToLower(string(re.Rune))}, true
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			s, ok := required(sub)
			if !ok {
				return nil, false
			}
			out = append(out, s...)
		}
		return out, true
	case syntax.OpConcat:
		var best []string
		for _, sub := range re.Sub {
			if s, ok := required(sub); ok && betterLiterals(s, best) {
				best = s
			}
		}
		return best, best != nil
	}
	return nil, false
}

// betterLiterals prefers the set whose shortest string is longer, then the
// smaller set.
func betterLiterals(a, b []string) bool {
	if b == nil {
		return true
	}
	shortest := func(s []string) int {
		n := 1 << 30
		for _, x := range s {
			n = min(n, len(x))
		}
		return n
	}
	if sa, sb := shortest(a), shortest(b); sa != sb {
		return sa > sb
	}
	return len(a) < len(b)
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

// A node reference is a trie node with flags saying whether phrases end
// there and whether it has children, so that Match reads the node's arrays
// only when there is something to read.
const (
	refOuts  = 1 << 30
	refKids  = 1 << 29
	refNode  = refKids - 1
	wordCont = 1 << 30 // on a word id: some phrase has the word after its first
	// maxNodes keeps node and word ids clear of the flags.
	maxNodes = refKids
)

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

func (e *Engine) bloomAdd(h uint64) {
	i := h >> e.bloomShift
	e.bloom[i>>6] |= 1 << (i & 63)
}

func (e *Engine) bloomHas(h uint64) bool {
	i := h >> e.bloomShift
	return e.bloom[i>>6]&(1<<(i&63)) != 0
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
