package rules

import (
	"regexp"
	"sync"

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
	proposers      []string
	root           int32
}

type cnode struct {
	kind           nodeKind
	leaf           int32 // for leaves
	any, all, none []int32
}

type cleaf struct {
	kind   nodeKind // nodeTerms (also sets), nodeNear or nodeRegex
	lang   string   // the terms' language, "" for English
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
	// context: the terms come from a set named *context* (itu_context):
	// they make a topic hold but do not make it the subject of a text.
	context bool
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

func (e *Engine) bloomAdd(h uint64) {
	i := h >> e.bloomShift
	e.bloom[i>>6] |= 1 << (i & 63)
}

func (e *Engine) bloomHas(h uint64) bool {
	i := h >> e.bloomShift
	return e.bloom[i>>6]&(1<<(i&63)) != 0
}
